import { readFileSync } from 'node:fs';
import { trustedIssuerSchema, trustedIssuersSchema, type TrustedIssuerConfig } from '@sluice/identity';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_ROLE_MAPPING, type RoleMapping } from '../identity/sluice-roles.js';

const roleGrantSchema = z.strictObject({
  roles: z.array(z.string().min(1).max(200)).max(100).default([]),
  groups: z.array(z.string().min(1).max(200)).max(100).default([]),
});

const webhookSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  url: z.url({ protocol: /^https?$/ }),
  /** Environment variable holding the HMAC secret: never the secret itself in the file. */
  secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  /** Approver groups whose requests go to this webhook; empty = all. */
  groups: z.array(z.string().min(1)).default([]),
});

/** `sluice.yaml` (SLUICE_CONFIG_FILE): settings too structured for environment variables. */
const configFileSchema = z.strictObject({
  approvals: z.strictObject({ webhooks: z.array(webhookSchema).max(50).default([]) }).default({ webhooks: [] }),
  identity: z
    .strictObject({
      issuers: z.array(trustedIssuerSchema).default([]),
      roles: z
        .strictObject({ admin: roleGrantSchema.optional(), approver: roleGrantSchema.optional(), auditor: roleGrantSchema.optional() })
        .default({}),
    })
    .default({ issuers: [], roles: {} }),
});

export interface WebhookConfig {
  readonly name: string;
  readonly url: string;
  readonly secret: string;
  readonly groups: readonly string[];
}

export interface FileSettings {
  readonly issuers: readonly TrustedIssuerConfig[];
  readonly roles: RoleMapping;
  readonly webhooks: readonly WebhookConfig[];
}

/** Reads and validates the config file; returns problems (with paths) instead of throwing. */
export function readConfigFile(path: string | undefined, env: NodeJS.ProcessEnv = {}): { settings: FileSettings; problems: string[] } {
  const empty: FileSettings = { issuers: [], roles: DEFAULT_ROLE_MAPPING, webhooks: [] };
  if (path === undefined) return { settings: empty, problems: [] };
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message.split('\n')[0] ?? 'unreadable';
    return { settings: empty, problems: [`SLUICE_CONFIG_FILE: cannot read ${path} (${why})`] };
  }
  const parsed = configFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    return {
      settings: empty,
      problems: parsed.error.issues.map((issue) => `${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`),
    };
  }
  const { issuers, roles } = parsed.data.identity;
  const webhooks: WebhookConfig[] = [];
  for (const hook of parsed.data.approvals.webhooks) {
    const secret = env[hook.secretEnv];
    if (!secret || secret.length < 16)
      return {
        settings: empty,
        problems: [
          `${path}: approvals.webhooks.${hook.name}: environment variable ${hook.secretEnv} must hold a secret of at least 16 characters`,
        ],
      };
    webhooks.push({ name: hook.name, url: hook.url, secret, groups: hook.groups });
  }
  if (issuers.length > 0) {
    const clash = trustedIssuersSchema.safeParse(issuers);
    if (!clash.success)
      return { settings: empty, problems: clash.error.issues.map((issue) => `${path}: identity.issuers: ${issue.message}`) };
  }
  return {
    settings: {
      issuers,
      roles: {
        admin: roles.admin ?? DEFAULT_ROLE_MAPPING.admin,
        approver: roles.approver ?? DEFAULT_ROLE_MAPPING.approver,
        auditor: roles.auditor ?? DEFAULT_ROLE_MAPPING.auditor,
      },
      webhooks,
    },
    problems: [],
  };
}
