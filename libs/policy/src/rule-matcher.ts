// The static part of a rule: its `match` fields against the input. AND across fields, OR within a
// list. A field can also be *unsettled* — neither true nor false — when the input cannot answer it
// (group overage, a request path servers would read differently); the evaluator then fails closed
// (README "Failing closed").
//
// The input is prepared once per evaluation (lower-cased, split) and every rule is matched against
// that; explanations are built lazily, only when `explain` asks for them.

import { isClusterScoped } from './k8s-scope.js';
import { commandClassSegmentsMatch, splitCommandClass } from './command-class-pattern.js';
import {
  canonicalizePath,
  pathGlobMatches,
  splitTableName,
  tableGlobSegmentsMatch,
  wildcardMatches,
  type CanonicalPath,
} from './glob-pattern.js';
import type { CompiledMatch } from './policy-compiler.js';
import type { PolicyInput } from './policy-input.js';

export type MatchState = 'match' | 'no-match' | 'unsettled';

export interface StaticMatch {
  readonly state: MatchState;
  /** For `no-match`, the field that failed; otherwise a summary. Built on demand. */
  readonly why: () => string;
  /** Why an unsettled field could not be decided (reason text; never input values). */
  readonly unsettled: readonly string[];
}

/** The input, normalized once for matching against every rule. */
export interface MatchSubject {
  readonly input: PolicyInput;
  readonly groups: ReadonlySet<string>;
  readonly roles: ReadonlySet<string>;
  readonly appId: string | undefined;
  readonly connectionName: string;
  readonly classes: readonly (readonly string[])[];
  /** `tables` and `tablesWritten` together. */
  readonly tables: readonly (readonly string[])[];
  readonly namespace: string | undefined;
  /** The canonical HTTP path, computed on first use; undefined for a non-HTTP command. */
  readonly path: () => CanonicalPath | undefined;
}

export function prepareMatchSubject(input: PolicyInput): MatchSubject {
  const { principal, command } = input;
  let path: CanonicalPath | undefined;
  let pathDone = false;
  return {
    input,
    groups: new Set(principal.groups.map((group) => group.toLowerCase())),
    roles: new Set(principal.roles.map((role) => role.toLowerCase())),
    appId: principal.appId?.toLowerCase(),
    connectionName: input.connection.name.toLowerCase(),
    classes: command.classes.map(splitCommandClass),
    tables: [...(command.tables ?? []), ...(command.tablesWritten ?? [])].map(splitTableName),
    namespace: command.k8s?.namespace?.toLowerCase(),
    path: () => {
      if (!pathDone) {
        path = command.http === undefined ? undefined : canonicalizePath(command.http.path);
        pathDone = true;
      }
      return path;
    },
  };
}

function list(values: Iterable<string>): string {
  return [...values].join(', ');
}

function sources(patterns: readonly { readonly source: string }[]): string {
  return patterns.map((pattern) => pattern.source).join(', ');
}

function anyIn(wanted: ReadonlySet<string>, have: ReadonlySet<string>): boolean {
  for (const value of have) if (wanted.has(value)) return true;
  return false;
}

function fail(why: () => string): StaticMatch {
  return { state: 'no-match', why, unsettled: [] };
}

/**
 * How a rule's `commands` and `tables` lists must cover the command:
 * - `any` (deny, review, mask): one class / table is enough — a rule restricting DELETE catches a
 *   DELETE hidden in a CTE, a mask on `customers` applies to a join that reads it;
 * - `all` (allow): every class and every table must be covered — otherwise "allow SELECT" would let
 *   `WITH d AS (DELETE …) SELECT …` through, and "allow orders" a join that also reads `customers`.
 */
export type CoverageMode = 'any' | 'all';

export function matchRule(match: CompiledMatch, subject: MatchSubject, coverage: CoverageMode = 'any'): StaticMatch {
  const { principal, connection } = subject.input;
  const unsettled: string[] = [];

  const wantPrincipal = match.principal;
  if (wantPrincipal !== undefined) {
    const { kinds, groups, roles, appIds, subjects } = wantPrincipal;
    if (kinds !== undefined && !kinds.has(principal.kind)) {
      return fail(() => `match.principal.kinds: the principal is a ${principal.kind}, the rule wants ${list(kinds)}`);
    }
    if (groups !== undefined && !anyIn(groups, subject.groups)) {
      // "Not in the group" is only settled when the token listed all of the principal's groups.
      if (!principal.groupOverage) return fail(() => `match.principal.groups: the principal is in none of ${list(groups)}`);
      unsettled.push(`group overage: membership in ${list(groups)} cannot be ruled out`);
    }
    if (roles !== undefined && !anyIn(roles, subject.roles)) {
      return fail(() => `match.principal.roles: the principal has none of ${list(roles)}`);
    }
    if (appIds !== undefined && (subject.appId === undefined || !appIds.has(subject.appId))) {
      return fail(() => `match.principal.appIds: the principal's app id is not one of ${list(appIds)}`);
    }
    if (subjects !== undefined && !subjects.has(principal.subject)) {
      return fail(() => 'match.principal.subjects: the principal is not one of the listed subjects');
    }
  }

  const wantConnection = match.connection;
  if (wantConnection !== undefined) {
    const { names, protocols, tags } = wantConnection;
    if (names !== undefined && !names.some((glob) => wildcardMatches(glob.lower, subject.connectionName))) {
      return fail(() => `match.connection.names: '${connection.name}' matches none of ${sources(names)}`);
    }
    if (protocols !== undefined && !protocols.has(connection.protocol)) {
      return fail(() => `match.connection.protocols: the connection speaks ${connection.protocol}, the rule wants ${list(protocols)}`);
    }
    for (const [key, value] of tags ?? []) {
      const actual = Object.hasOwn(connection.tags, key) ? connection.tags[key] : undefined;
      if (actual === undefined) return fail(() => `match.connection.tags: the connection has no tag '${key}'`);
      if (value !== '*' && actual.toLowerCase() !== value) return fail(() => `match.connection.tags: tag '${key}' is not '${value}'`);
    }
  }

  // A command with several classes: see CoverageMode. A DELETE inside a CTE carries
  // `sql.dml.delete` next to `sql.dml.select` and `sql.cte.modifying`.
  const commands = match.commands;
  if (commands !== undefined) {
    const covered = (parts: readonly string[]) => commands.some((pattern) => commandClassSegmentsMatch(pattern, parts));
    if (coverage === 'any' && !subject.classes.some(covered)) {
      return fail(() => `match.commands: no class of the command matches ${sources(commands)}`);
    }
    if (coverage === 'all' && !subject.classes.every(covered)) {
      return fail(() => `match.commands: an allow rule must cover every class of the command, and ${sources(commands)} does not`);
    }
  }

  const tables = match.tables;
  if (tables !== undefined) {
    const covered = (parts: readonly string[]) => tables.some((glob) => tableGlobSegmentsMatch(glob, parts));
    if (coverage === 'any' && !subject.tables.some(covered)) {
      return fail(() => `match.tables: no table of the command matches ${sources(tables)}`);
    }
    if (coverage === 'all' && (subject.tables.length === 0 || !subject.tables.every(covered))) {
      return fail(() => `match.tables: an allow rule must cover every table of the command, and ${sources(tables)} does not`);
    }
  }

  const paths = match.paths;
  if (paths !== undefined) {
    const canonical = subject.path();
    if (canonical === undefined) return fail(() => 'match.paths: the command is not an HTTP request');
    if (!canonical.ok) unsettled.push(`${canonical.why}, so match.paths (${sources(paths)}) cannot be decided`);
    else if (!paths.some((glob) => pathGlobMatches(glob, canonical.segments))) {
      // Rails and Spring route `/admin.json` to `/admin`: a path that matches only without its
      // format suffix is unsettled (a deny on `/admin/**` applies; an allow on it does not).
      const unsuffixed = withoutFormatSuffix(canonical.segments);
      if (!unsuffixed || !paths.some((glob) => pathGlobMatches(glob, unsuffixed))) {
        return fail(() => `match.paths: the request path matches none of ${sources(paths)}`);
      }
      unsettled.push(`the request path matches ${sources(paths)} only without its format suffix, which some upstreams ignore`);
    }
  }

  const namespaces = match.namespaces;
  if (namespaces !== undefined) {
    const namespace = subject.namespace;
    const k8s = subject.input.command.k8s;
    if (namespace === undefined && k8s !== undefined && !isClusterScoped(k8s.group, k8s.resource)) {
      // `/api/v1/configmaps`: every namespace's, the listed ones included (deny/review apply, allow does not).
      unsettled.push(`the request spans every namespace, so match.namespaces (${sources(namespaces)}) cannot be decided`);
    } else if (namespace === undefined || !namespaces.some((glob) => wildcardMatches(glob.lower, namespace))) {
      return fail(() => `match.namespaces: the request is not in a namespace matching ${sources(namespaces)}`);
    }
  }

  if (unsettled.length > 0) return { state: 'unsettled', why: () => `unsettled: ${unsettled.join('; ')}`, unsettled };
  return { state: 'match', why: () => 'all match fields hold', unsettled };
}

/** The segments with the last one's `.ext` removed (`admin.json` → `admin`), or undefined when it has none. */
function withoutFormatSuffix(segments: readonly string[]): string[] | undefined {
  const last = segments.at(-1);
  const dot = last?.lastIndexOf('.') ?? -1;
  if (last === undefined || dot <= 0) return undefined;
  return [...segments.slice(0, -1), last.slice(0, dot)];
}
