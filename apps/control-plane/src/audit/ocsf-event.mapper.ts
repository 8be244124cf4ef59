import { isIP } from 'node:net';
import type { AuditEventRow } from '../sessions/session-queries.js';

// Recorded session events as OCSF 1.3 events, one JSON object per stored event (docs/audit.md
// "Export"). Hand-written types for the subset used: no OCSF package exists for Node.
// Classes: Datastore Activity (6005) for statements, Authorize Session (3003) for a session opened,
// Authentication (3002) Logoff for a session closed or terminated, Base Event (0) for anything else.
// https://schema.ocsf.io/1.3.0/classes/datastore_activity, …/authorize_session, …/authentication

export const OCSF_VERSION = '1.3.0';

export interface OcsfUser {
  readonly uid: string;
  readonly name?: string;
  readonly type_id: 1 | 99;
  readonly type: 'User' | 'Workload';
  readonly groups: { readonly name: string }[];
  readonly org?: { readonly uid: string };
  readonly uid_alt?: string;
}

export interface OcsfEvent {
  readonly category_uid: number;
  readonly category_name: string;
  readonly class_uid: number;
  readonly class_name: string;
  readonly activity_id: number;
  readonly activity_name: string;
  readonly type_uid: number;
  readonly type_name: string;
  readonly severity_id: 1 | 2 | 3;
  readonly severity: 'Informational' | 'Low' | 'Medium';
  readonly time: number;
  readonly message?: string;
  readonly status_id?: 1 | 2;
  readonly status?: 'Success' | 'Failure';
  readonly status_code?: string;
  readonly status_detail?: string;
  readonly action_id?: 1 | 2;
  readonly action?: 'Allowed' | 'Denied';
  readonly disposition_id?: number;
  readonly disposition?: string;
  readonly duration?: number;
  readonly metadata: {
    readonly version: string;
    readonly product: { readonly name: 'Sluice'; readonly vendor_name: 'Sluice'; readonly version: string };
    readonly uid: string;
    readonly correlation_uid: string;
    readonly sequence: number;
    readonly log_name: 'session_events';
  };
  readonly actor: { readonly user: OcsfUser; readonly session: { readonly uid: string }; readonly app_name?: string };
  readonly user?: OcsfUser;
  readonly session?: { readonly uid: string };
  readonly src_endpoint?: { readonly ip?: string; readonly port?: number };
  readonly dst_endpoint?: { readonly svc_name: string };
  readonly database?: { readonly name: string; readonly type_id: 0 | 1; readonly type: 'Unknown' | 'Relational' };
  readonly query_info?: { readonly uid: string; readonly query_string: string };
  readonly groups?: { readonly name: string }[];
  readonly privileges?: string[];
  readonly policy?: { readonly name: string; readonly version?: string; readonly desc?: string };
  readonly unmapped: { readonly sluice: Record<string, unknown> };
}

const DATASTORE = { category_uid: 6, category_name: 'Application Activity', class_uid: 6005, class_name: 'Datastore Activity' } as const;
const IAM = { category_uid: 3, category_name: 'Identity & Access Management' } as const;

/** OCSF disposition ids (security_control profile). */
const DISPOSITION = { allowed: [1, 'Allowed'], blocked: [2, 'Blocked'], approved: [8, 'Approved'], delayed: [14, 'Delayed'] } as const;

type Activity = readonly [id: number, name: string];

/** The datastore activity a statement's classes amount to, the most consequential first. */
export function datastoreActivity(classes: readonly string[]): Activity {
  const has = (...prefixes: string[]) => classes.some((c) => prefixes.some((p) => c === p || c.startsWith(`${p}.`)));
  if (has('sql.dml.delete', 'sql.ddl.drop', 'sql.ddl.truncate')) return [7, 'Delete'];
  if (has('sql.ddl.create')) return [6, 'Create'];
  if (has('sql.dml.update', 'sql.dml.merge', 'sql.ddl.alter', 'sql.ddl.rename', 'sql.ddl.comment', 'sql.cte.modifying'))
    return [2, 'Update'];
  if (has('sql.dml.insert', 'sql.copy.in')) return [5, 'Write'];
  if (has('sql.dml.select', 'sql.select.locking', 'sql.copy.out')) return [4, 'Query'];
  return [99, 'Other'];
}

/** One stored event as one OCSF event. Result previews are left out (they hold masked row data). */
export function toOcsfEvent(row: AuditEventRow, productVersion: string): OcsfEvent {
  const p = row.payload;
  const user = ocsfUser(row);
  const common = {
    time: row.occurredAt.getTime(),
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'Sluice', vendor_name: 'Sluice', version: productVersion },
      uid: `${row.sessionId}:${row.seq}`,
      correlation_uid: row.sessionId,
      sequence: row.seq,
      log_name: 'session_events',
    },
    actor: { user, session: { uid: row.sessionId }, ...(row.session.clientApplication ? { app_name: row.session.clientApplication } : {}) },
    ...srcEndpoint(row.session.clientAddress),
  } as const;
  const sluice = (extra: Record<string, unknown>): OcsfEvent['unmapped'] => ({
    sluice: {
      kind: row.kind,
      seq: row.seq,
      hash: row.hash,
      prev_hash: row.prevHash,
      agent_id: row.session.agentId,
      connection: row.session.connection,
      ...extra,
    },
  });
  const datastore = (activity: Activity, text: string | null) => ({
    ...DATASTORE,
    activity_id: activity[0],
    activity_name: activity[1],
    type_uid: DATASTORE.class_uid * 100 + activity[0],
    type_name: `${DATASTORE.class_name}: ${activity[1]}`,
    database: {
      name: row.session.connection,
      ...(isRelational(row.session.protocol)
        ? { type_id: 1 as const, type: 'Relational' as const }
        : { type_id: 0 as const, type: 'Unknown' as const }),
    },
    dst_endpoint: { svc_name: row.session.connection },
    ...(text === null ? {} : { query_info: { uid: `${row.sessionId}:${row.seq}`, query_string: text } }),
  });
  const informational = { severity_id: 1, severity: 'Informational' } as const;

  switch (row.kind) {
    case 'session.opened':
      return {
        ...IAM,
        class_uid: 3003,
        class_name: 'Authorize Session',
        activity_id: 2,
        activity_name: 'Assign Groups',
        type_uid: 300302,
        type_name: 'Authorize Session: Assign Groups',
        ...informational,
        ...common,
        message: `session opened on ${row.session.connection}`,
        status_id: 1,
        status: 'Success',
        action_id: 1,
        action: 'Allowed',
        disposition_id: DISPOSITION.allowed[0],
        disposition: DISPOSITION.allowed[1],
        user,
        session: { uid: row.sessionId },
        dst_endpoint: { svc_name: row.session.connection },
        groups: user.groups,
        privileges: [...row.session.principal.roles],
        unmapped: sluice({ protocol: str(p.protocol), client_user: row.session.clientUser }),
      };
    case 'session.closed':
    case 'session.terminated': {
      const reason = str(p.reason);
      return {
        ...IAM,
        class_uid: 3002,
        class_name: 'Authentication',
        activity_id: 2,
        activity_name: 'Logoff',
        type_uid: 300202,
        type_name: 'Authentication: Logoff',
        ...(row.kind === 'session.terminated' ? ({ severity_id: 2, severity: 'Low' } as const) : informational),
        ...common,
        message: `session ${row.kind === 'session.terminated' ? 'terminated' : 'closed'}${reason === null ? '' : `: ${reason}`}`,
        status_id: 1,
        status: 'Success',
        ...(reason === null ? {} : { status_detail: reason }),
        user,
        session: { uid: row.sessionId },
        dst_endpoint: { svc_name: row.session.connection },
        unmapped: sluice({ reason, code: str(p.code) }),
      };
    }
    case 'command.received':
      return {
        ...datastore(datastoreActivity(strings(p.classes)), str(p.text)),
        ...informational,
        ...common,
        message: 'statement received',
        unmapped: sluice({ classes: strings(p.classes), tables: strings(p.tables), via: str(p.via) }),
      };
    case 'command.decided': {
      const effect = str(p.effect) ?? 'unknown';
      const command = row.command ?? {};
      const blocked = effect === 'deny' || effect === 'refused';
      const disposition = blocked ? DISPOSITION.blocked : effect === 'review' ? DISPOSITION.delayed : DISPOSITION.allowed;
      const reason = str(p.reason);
      const version = str(p.policyVersion);
      return {
        ...datastore(datastoreActivity(strings(command.classes)), str(command.text)),
        ...(blocked
          ? ({ severity_id: 3, severity: 'Medium' } as const)
          : effect === 'review'
            ? ({ severity_id: 2, severity: 'Low' } as const)
            : informational),
        ...common,
        message: `${effect}${reason === null ? '' : `: ${reason}`}`,
        action_id: blocked ? 2 : 1,
        action: blocked ? 'Denied' : 'Allowed',
        disposition_id: disposition[0],
        disposition: disposition[1],
        policy: { name: 'sluice', ...(version ? { version } : {}), ...(reason === null ? {} : { desc: reason }) },
        unmapped: sluice({ effect, rule_ids: strings(p.ruleIds), cached: p.cached === true, classes: strings(command.classes) }),
      };
    }
    case 'command.completed': {
      const error = str(p.error);
      const refused = p.refused === true;
      const duration = num(p.durationMs);
      return {
        ...datastore(datastoreActivity(strings(row.command?.classes)), str(p.text)),
        ...informational,
        ...common,
        message: error === null ? (str(p.tag) ?? 'completed') : `failed with SQLSTATE ${error}`,
        status_id: error === null ? 1 : 2,
        status: error === null ? 'Success' : 'Failure',
        ...(error === null ? {} : { status_code: error }),
        ...(refused ? { action_id: 2, action: 'Denied', disposition_id: DISPOSITION.blocked[0], disposition: DISPOSITION.blocked[1] } : {}),
        ...(duration === null ? {} : { duration }),
        // The preview (row data, even masked) is never exported: only how many rows it holds.
        unmapped: sluice({ tag: str(p.tag), rows: num(p.rows), refused, preview_rows: previewRows(p.preview) }),
      };
    }
    case 'approval.requested':
      return {
        ...datastore([99, 'Approval Requested'], str(p.text) ?? str(p.commandText)),
        severity_id: 2,
        severity: 'Low',
        ...common,
        message: `approval requested${str(p.reason) === null ? '' : `: ${str(p.reason) ?? ''}`}`,
        action_id: 1,
        action: 'Allowed',
        disposition_id: DISPOSITION.delayed[0],
        disposition: DISPOSITION.delayed[1],
        unmapped: sluice({ approval_id: str(p.approvalId) }),
      };
    case 'approval.resolved': {
      const approved = str(p.outcome) === 'approved';
      const disposition = approved ? DISPOSITION.approved : DISPOSITION.blocked;
      return {
        ...datastore([99, 'Approval Resolved'], null),
        ...informational,
        ...common,
        message: `approval ${str(p.outcome) ?? 'resolved'}`,
        action_id: approved ? 1 : 2,
        action: approved ? 'Allowed' : 'Denied',
        disposition_id: disposition[0],
        disposition: disposition[1],
        unmapped: sluice({
          approval_id: str(p.approvalId),
          outcome: str(p.outcome),
          resolved_by: str(p.resolvedBy),
          comment: str(p.comment),
        }),
      };
    }
    case 'command.result-preview':
      return {
        ...datastore([99, 'Result Preview'], null),
        ...informational,
        ...common,
        message: 'result preview recorded (not exported: fetch it through the replay API)',
        unmapped: sluice({ preview_rows: previewRows(p) }),
      };
    default:
      return {
        category_uid: 0,
        category_name: 'Uncategorized',
        class_uid: 0,
        class_name: 'Base Event',
        activity_id: 99,
        activity_name: row.kind,
        type_uid: 99,
        type_name: `Base Event: ${row.kind}`,
        ...informational,
        ...common,
        message: row.kind,
        unmapped: sluice({ payload: p }),
      };
  }
}

function ocsfUser(row: AuditEventRow): OcsfUser {
  const principal = row.session.principal;
  return {
    uid: principal.id,
    ...(principal.displayName ? { name: principal.displayName } : {}),
    ...(principal.kind === 'user' ? ({ type_id: 1, type: 'User' } as const) : ({ type_id: 99, type: 'Workload' } as const)),
    groups: principal.groups.map((name) => ({ name })),
    ...(principal.tenantId ? { org: { uid: principal.tenantId } } : {}),
    ...(principal.appId ? { uid_alt: principal.appId } : {}),
  };
}

/** `ip:port`, `[v6]:port` or a bare address, as agents report client addresses. */
export function srcEndpoint(address: string): { src_endpoint?: { ip?: string; port?: number } } {
  const withPort = /^\[([^\]]+)\]:(\d{1,5})$/.exec(address) ?? /^([^:]+):(\d{1,5})$/.exec(address);
  const host = withPort?.[1] ?? address;
  const port = withPort?.[2];
  if (isIP(host) === 0) return {};
  const portNumber = port === undefined ? undefined : Number(port);
  return { src_endpoint: { ip: host, ...(portNumber !== undefined && portNumber <= 65_535 ? { port: portNumber } : {}) } };
}

function isRelational(protocol: string | null): boolean {
  return protocol === 'postgres' || protocol === 'mysql';
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** How many rows a result preview holds (PostgreSQL previews are rows; HTTP ones are text: null). */
function previewRows(preview: unknown): number | null {
  return typeof preview === 'object' && preview !== null && 'rows' in preview && Array.isArray(preview.rows) ? preview.rows.length : null;
}
