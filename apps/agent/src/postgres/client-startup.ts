import type { StartupMessage } from '@sluice/postgres-wire';
import { SqlState, type SluiceError } from './pg-errors.js';

/**
 * Startup parameters we pass to the real server. Everything else is dropped: `options` (`-c role=…`)
 * and `replication` are refused outright because they would change the session behind policy's back,
 * and client_encoding is always UTF8 towards the server (the classifier and the masker read UTF-8).
 */
const PASSED_PARAMETERS = ['application_name', 'DateStyle', 'TimeZone', 'IntervalStyle', 'extra_float_digits'] as const;

/** The newest protocol minor we speak with clients (3.2: variable-length cancel keys). */
export const NEWEST_PROTOCOL_MINOR = 2;

export interface AcceptedStartup {
  readonly ok: true;
  readonly protocolMinor: number;
  /** Parameters for the backend StartupMessage (user/database are the agent's own). */
  readonly backendParameters: ReadonlyMap<string, string>;
  readonly clientUser: string;
  readonly applicationName: string;
}

export type StartupCheck = AcceptedStartup | { readonly ok: false; readonly error: SluiceError };

export function checkStartup(startup: StartupMessage, connection: { readonly name: string; readonly database: string }): StartupCheck {
  const { parameters, protocolVersion } = startup;
  if (protocolVersion.major !== 3)
    return fatal(SqlState.FeatureNotSupported, `unsupported frontend protocol ${protocolVersion.major}.${protocolVersion.minor}`);
  if (parameters.has('replication')) return fatal(SqlState.FeatureNotSupported, 'replication connections are not supported through Sluice');
  const options = parameters.get('options')?.trim() ?? '';
  if (options !== '') {
    return fatal(
      SqlState.FeatureNotSupported,
      'startup options (-c …, PGOPTIONS) are not passed through Sluice',
      'Use SET after connecting; it is subject to policy like any statement.',
    );
  }
  const database = parameters.get('database') ?? parameters.get('user') ?? '';
  if (database !== connection.database) {
    return fatal(
      SqlState.InvalidCatalogName,
      `database "${database}" is not served by connection ${connection.name}`,
      `Connect with dbname=${connection.database}.`,
    );
  }
  const backendParameters = new Map<string, string>([['client_encoding', 'UTF8']]);
  for (const name of PASSED_PARAMETERS) {
    const value = parameters.get(name);
    if (value !== undefined) backendParameters.set(name, value);
  }
  return {
    ok: true,
    protocolMinor: Math.min(protocolVersion.minor, NEWEST_PROTOCOL_MINOR),
    backendParameters,
    clientUser: parameters.get('user') ?? '',
    applicationName: parameters.get('application_name') ?? '',
  };
}

function fatal(code: SqlState, message: string, hint?: string): StartupCheck {
  return { ok: false, error: { severity: 'FATAL', code, message, ...(hint !== undefined ? { hint } : {}) } };
}
