// The declared CEL context of a `when` condition (README "CEL conditions") and the bindings built
// from a PolicyInput. Field names mirror policy-input.ts.

import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { CelInput } from '@bufbuild/cel';
import { BOOL, STRING, TIMESTAMP, listOf, mapOf, type CelTypeDecl } from './cel-type.js';
import type { PolicyInput } from './policy-input.js';
import { MAX_CEL_COMMAND_TEXT_LENGTH } from './policy-limits.js';

const STRINGS = listOf(STRING);
const STRING_MAP = mapOf(STRING, STRING);

export const CEL_CONTEXT: Readonly<Record<string, CelTypeDecl>> = {
  principal: {
    kind: 'record',
    name: 'principal',
    fields: {
      id: { type: STRING },
      kind: { type: STRING },
      subject: { type: STRING },
      issuer: { type: STRING },
      tenantId: { type: STRING, optional: true },
      appId: { type: STRING, optional: true },
      displayName: { type: STRING, optional: true },
      groups: { type: STRINGS },
      roles: { type: STRINGS },
      scopes: { type: STRINGS },
      groupOverage: { type: BOOL },
    },
  },
  connection: {
    kind: 'record',
    name: 'connection',
    fields: { name: { type: STRING }, protocol: { type: STRING }, tags: { type: STRING_MAP } },
  },
  command: {
    kind: 'record',
    name: 'command',
    fields: {
      classes: { type: STRINGS },
      tables: { type: STRINGS, optional: true },
      tablesWritten: { type: STRINGS, optional: true },
      functions: { type: STRINGS, optional: true },
      hasWhere: { type: BOOL, optional: true },
      text: { type: STRING, optional: true },
      http: {
        optional: true,
        type: {
          kind: 'record',
          name: 'command.http',
          fields: { method: { type: STRING }, path: { type: STRING }, query: { type: STRING_MAP } },
        },
      },
      k8s: {
        optional: true,
        type: {
          kind: 'record',
          name: 'command.k8s',
          fields: {
            verb: { type: STRING },
            group: { type: STRING },
            resource: { type: STRING },
            subresource: { type: STRING, optional: true },
            namespace: { type: STRING, optional: true },
            name: { type: STRING, optional: true },
          },
        },
      },
    },
  },
  now: TIMESTAMP,
  grants: STRINGS,
};

/**
 * Context paths whose value can differ between two commands that share a decision-cache key
 * (policy version, principal, connection, normalized statement — DESIGN.md "The per-command flow"):
 * the clock, the raw statement text (constants are stripped from the key), HTTP query values
 * (parameters, like SQL constants) and JIT grants (they expire without a policy change). A decision
 * that evaluated a condition reading any of them is not cacheable.
 */
export const VOLATILE_CONTEXT_PATHS: readonly string[] = ['now', 'command.text', 'command.http.query', 'grants'];

/** Under group overage, a condition reading this path cannot settle "not in group" (README "Group overage"). */
export const GROUPS_CONTEXT_PATH = 'principal.groups';

/** True when one dotted path is the other or lies below it (reading `command` reads `command.text`). */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

export interface CelBindings {
  readonly values: Record<string, CelInput>;
  /** Paths that could not be bound safely; conditions reading them fail closed without running. */
  readonly unavailable: ReadonlyMap<string, string>;
}

function defined(entries: readonly (readonly [string, CelInput | undefined])[]): Map<string, CelInput> {
  const map = new Map<string, CelInput>();
  for (const [key, value] of entries) if (value !== undefined) map.set(key, value);
  return map;
}

function stringMap(record: Readonly<Record<string, string>>): Map<string, CelInput> {
  return new Map(Object.entries(record));
}

/** Builds the CEL bindings once per evaluation. Maps, not plain objects: no prototype keys. */
export function buildCelBindings(input: PolicyInput): CelBindings {
  const { principal, connection, command } = input;
  const unavailable = new Map<string, string>();
  let text = command.text;
  if (text !== undefined && text.length > MAX_CEL_COMMAND_TEXT_LENGTH) {
    unavailable.set('command.text', `the statement text is longer than ${MAX_CEL_COMMAND_TEXT_LENGTH} characters`);
    text = undefined;
  }
  const nowValid = !Number.isNaN(input.now.getTime());
  if (!nowValid) unavailable.set('now', 'the evaluation time is not a valid date');
  const values: Record<string, CelInput> = Object.create(null) as Record<string, CelInput>;
  values['principal'] = defined([
    ['id', principal.id],
    ['kind', principal.kind],
    ['subject', principal.subject],
    ['issuer', principal.issuer],
    ['tenantId', principal.tenantId],
    ['appId', principal.appId],
    ['displayName', principal.displayName],
    ['groups', principal.groups],
    ['roles', principal.roles],
    ['scopes', principal.scopes],
    ['groupOverage', principal.groupOverage],
  ]);
  values['connection'] = defined([
    ['name', connection.name],
    ['protocol', connection.protocol],
    ['tags', stringMap(connection.tags)],
  ]);
  values['command'] = defined([
    ['classes', command.classes],
    ['tables', command.tables],
    ['tablesWritten', command.tablesWritten],
    ['functions', command.functions],
    ['hasWhere', command.hasWhere],
    ['text', text],
    [
      'http',
      command.http &&
        defined([
          ['method', command.http.method],
          ['path', command.http.path],
          ['query', stringMap(command.http.query)],
        ]),
    ],
    [
      'k8s',
      command.k8s &&
        defined([
          ['verb', command.k8s.verb],
          ['group', command.k8s.group],
          ['resource', command.k8s.resource],
          ['subresource', command.k8s.subresource],
          ['namespace', command.k8s.namespace],
          ['name', command.k8s.name],
        ]),
    ],
  ]);
  if (nowValid) values['now'] = timestampFromDate(input.now);
  values['grants'] = input.grants ?? [];
  return { values, unavailable };
}
