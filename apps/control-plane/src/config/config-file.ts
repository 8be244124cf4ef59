import { readFileSync } from 'node:fs';
import { trustedIssuerSchema, trustedIssuersSchema, type TrustedIssuerConfig } from '@sluice/identity';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_ROLE_MAPPING, type RoleMapping } from '../identity/sluice-roles.js';

const roleGrantSchema = z.strictObject({
  roles: z.array(z.string().min(1).max(200)).max(100).default([]),
  groups: z.array(z.string().min(1).max(200)).max(100).default([]),
});

/** `sluice.yaml` (SLUICE_CONFIG_FILE): settings too structured for environment variables. */
const configFileSchema = z.strictObject({
  identity: z
    .strictObject({
      issuers: z.array(trustedIssuerSchema).default([]),
      roles: z
        .strictObject({ admin: roleGrantSchema.optional(), approver: roleGrantSchema.optional(), auditor: roleGrantSchema.optional() })
        .default({}),
    })
    .default({ issuers: [], roles: {} }),
});

export interface FileSettings {
  readonly issuers: readonly TrustedIssuerConfig[];
  readonly roles: RoleMapping;
}

/** Reads and validates the config file; returns problems (with paths) instead of throwing. */
export function readConfigFile(path: string | undefined): { settings: FileSettings; problems: string[] } {
  const empty: FileSettings = { issuers: [], roles: DEFAULT_ROLE_MAPPING };
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
    },
    problems: [],
  };
}
