// The agent's own identity towards the apiserver (a service-account token and/or a client
// certificate) and the impersonation headers that make the apiserver authorize as the principal
// (libraries.md §10 point 4; docs/kubernetes.md "Upstream").
import { readFile } from 'node:fs/promises';
import type { SessionPrincipal } from '../link/link-types.js';

/** Projected service-account tokens rotate; client-go re-reads the file about once a minute too. */
const TOKEN_REREAD_MS = 60_000;

export class TokenFile {
  private value: string | undefined;
  private readAt = 0;

  constructor(private readonly path: string) {}

  /** The current token; the last good one is kept if a re-read fails. */
  async token(): Promise<string> {
    if (this.value === undefined || Date.now() - this.readAt > TOKEN_REREAD_MS) {
      try {
        const read = (await readFile(this.path, 'utf8')).trim();
        if (read !== '') this.value = read;
        this.readAt = Date.now();
      } catch (error) {
        if (this.value === undefined) {
          throw new Error(`cannot read the service-account token file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
            cause: error,
          });
        }
      }
    }
    if (this.value === undefined) throw new Error('the service-account token file is empty');
    return this.value;
  }
}

export interface ImpersonationConfig {
  readonly enabled: boolean;
  readonly userPrefix: string;
  readonly groupPrefix: string;
  readonly groups: boolean;
}

/** Printable ASCII without separators that would split a header list. */
const HEADER_SAFE = /^[\x21-\x7e][\x20-\x7e]*$/;

/**
 * `Impersonate-User` / `Impersonate-Group` for the principal. Names are prefixed so a token claim
 * can never become a `system:` identity (a group literally named `system:masters` would otherwise
 * be cluster-admin); with an empty prefix such names are dropped instead.
 */
export function impersonationHeaders(config: ImpersonationConfig, principal: SessionPrincipal): Record<string, string | string[]> {
  if (!config.enabled) return {};
  const userPrefix = config.userPrefix === '' && principal.id.toLowerCase().startsWith('system:') ? 'sluice:' : config.userPrefix;
  const groups = config.groups
    ? principal.groups
        .filter((g) => config.groupPrefix !== '' || !g.toLowerCase().startsWith('system:'))
        .map((g) => `${config.groupPrefix}${g}`)
        .filter((g) => HEADER_SAFE.test(g) && !g.includes(','))
    : [];
  return { 'impersonate-user': `${userPrefix}${principal.id}`, ...(groups.length > 0 ? { 'impersonate-group': groups } : {}) };
}
