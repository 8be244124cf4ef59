/** Facts about Microsoft Entra ID that the verifier and the config schema both need. */

export const ENTRA_DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/** The v1 issuer form exists only on the public cloud (shared/reference/mcp-and-entra.md §3.1). */
export function entraV1Issuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

export function entraV2Issuer(authorityHost: string, tenantId: string): string {
  return `${authorityHost}/${tenantId}/v2.0`;
}

export function entraJwksUri(authorityHost: string, tenantId: string): string {
  return `${authorityHost}/${tenantId}/discovery/v2.0/keys`;
}

/** 8-4-4-4-12 hex; Entra tenant and object ids are lower-case in tokens. */
export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Audiences of Microsoft's own APIs. Their tokens carry a `nonce` header whose hashed form is what
 * was signed, so they cannot be verified by anyone but Microsoft, and a token meant for Graph must
 * never be accepted by us anyway (confused deputy). See mcp-and-entra.md §3.2.
 */
const MICROSOFT_API_AUDIENCES: ReadonlySet<string> = new Set([
  '00000003-0000-0000-c000-000000000000', // Microsoft Graph
  '00000002-0000-0000-c000-000000000000', // Azure AD Graph (retired)
  'https://graph.microsoft.com',
  'https://graph.microsoft.us',
  'https://dod-graph.microsoft.us',
  'https://microsoftgraph.chinacloudapi.cn',
  'https://graph.windows.net',
]);

export function isMicrosoftApiAudience(value: string): boolean {
  return MICROSOFT_API_AUDIENCES.has(value.toLowerCase().replace(/\/+$/, ''));
}

/** True when the (unverified) `aud` claim names a Microsoft API, as a string or inside an array. */
export function audienceNamesMicrosoftApi(aud: unknown): boolean {
  if (typeof aud === 'string') return isMicrosoftApiAudience(aud);
  if (Array.isArray(aud)) return aud.some((member) => typeof member === 'string' && isMicrosoftApiAudience(member));
  return false;
}
