import type { Command__Output } from '@sluice/contract';
import type { PolicyCommand, PolicyConnection, PolicyPrincipal } from '@sluice/policy';
import type { SqlStatementFacts } from '@sluice/sql';
import type { ConnectionView } from '../connections/connections.service.js';
import type { SessionPrincipalSnapshot } from '../sessions/session.entity.js';

/** The principal as policy sees it: a session's snapshot, or a stored principal record (same fields). */
export function policyPrincipal(p: SessionPrincipalSnapshot): PolicyPrincipal {
  return {
    id: p.id,
    kind: p.kind,
    subject: p.subject,
    issuer: p.issuer,
    ...(p.tenantId !== null ? { tenantId: p.tenantId } : {}),
    ...(p.appId !== null ? { appId: p.appId } : {}),
    ...(p.displayName !== null ? { displayName: p.displayName } : {}),
    groups: p.groups,
    roles: p.roles,
    scopes: p.scopes,
    groupOverage: p.groupOverage,
  };
}

export function policyConnection(c: ConnectionView): PolicyConnection {
  return { name: c.name, protocol: c.protocol, tags: c.tags };
}

/** A command off the wire, as policy sees it. An empty class list becomes `unknown` (denied unless allowed). */
export function policyCommand(command: Command__Output | null | undefined): PolicyCommand {
  if (!command) return { classes: ['unknown'] };
  return {
    classes: command.classes.length > 0 ? command.classes : ['unknown'],
    tables: command.tables,
    tablesWritten: command.tablesWritten,
    functions: command.functions,
    ...(command.hasWhere === 'yes' ? { hasWhere: true } : command.hasWhere === 'no' ? { hasWhere: false } : {}),
    text: command.text,
    ...(command.http ? { http: { method: command.http.method, path: command.http.path, query: command.http.query } } : {}),
    ...(command.kubernetes
      ? {
          k8s: {
            verb: command.kubernetes.verb,
            group: command.kubernetes.apiGroup,
            resource: command.kubernetes.resource,
            ...(command.kubernetes.subresource ? { subresource: command.kubernetes.subresource } : {}),
            ...(command.kubernetes.namespace ? { namespace: command.kubernetes.namespace } : {}),
            ...(command.kubernetes.name ? { name: command.kubernetes.name } : {}),
          },
        }
      : {}),
  };
}

/**
 * One classified PostgreSQL statement as policy sees it: the facts the agent sends for it
 * (apps/agent/src/postgres/sql-facts.ts), so that explain decides what a decision request would.
 */
export function policyCommandOfStatement(statement: SqlStatementFacts): PolicyCommand {
  return {
    classes: statement.classes,
    tables: [...new Set([...statement.tablesRead, ...statement.tablesWritten])],
    tablesWritten: statement.tablesWritten,
    functions: statement.functions,
    ...(statement.hasWhere !== null ? { hasWhere: statement.hasWhere } : {}),
    text: statement.text,
  };
}
