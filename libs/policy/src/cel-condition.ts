// `when` conditions: compiled once when the policy loads (parse, size limits, type check, literal
// validation, plan), evaluated per decision. DESIGN.md "Policy"; README "CEL conditions".

import { celEnv, isCelError, parse, plan, type CelInput, type CelResult } from '@bufbuild/cel';
import { checkCel, CelCheckError, type CelLiteralCheck } from './cel-checker.js';
import { CEL_CONTEXT, GROUPS_CONTEXT_PATH, VOLATILE_CONTEXT_PATHS, pathsOverlap, type CelBindings } from './cel-context.js';
import { formatCelType } from './cel-type.js';
import { MAX_CEL_SOURCE_LENGTH } from './policy-limits.js';

/**
 * The environment every condition is planned in: the CEL standard library, whose `matches` is RE2
 * (@bufbuild/re2, linear time) — never JS RegExp. What an expression may call is narrowed further
 * by the checker.
 */
const ENV = celEnv();

export interface CelCondition {
  readonly source: string;
  /** Context paths the condition reads. */
  readonly paths: readonly string[];
  /** Reads the clock, the statement text, query values or grants: the decision is not cacheable. */
  readonly volatile: boolean;
  /** Reads `principal.groups`: unsettled when the principal's groups overflowed the token. */
  readonly readsGroups: boolean;
  readonly run: (bindings: Record<string, CelInput>) => CelResult;
}

export type CelCompileResult = { readonly ok: true; readonly condition: CelCondition } | { readonly ok: false; readonly message: string };

export type CelEvaluation =
  | { readonly kind: 'value'; readonly value: boolean }
  /** Never contains input values: the message comes from the library and names the failing operation. */
  | { readonly kind: 'error'; readonly message: string };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs a one-off program over a literal, to reject a bad regex, timestamp, duration or zone at load. */
const LITERAL_PROBES: Readonly<Record<CelLiteralCheck['kind'], { readonly source: string; readonly what: string }>> = {
  regex: { source: "''.matches(v)", what: 'invalid RE2 regex' },
  timestamp: { source: 'timestamp(v)', what: 'invalid timestamp (use RFC 3339, e.g. 2026-01-31T00:00:00Z)' },
  duration: { source: 'duration(v)', what: "invalid duration (e.g. '90s', '1h30m')" },
  timezone: {
    source: 'timestamp(0).getHours(v)',
    what: "invalid time zone (use an IANA name such as 'Europe/Paris' or an offset such as '+02:00')",
  },
};
const probes = new Map<CelLiteralCheck['kind'], (bindings: Record<string, CelInput>) => CelResult>();

function probeLiteral(literal: CelLiteralCheck): string | undefined {
  const probe = LITERAL_PROBES[literal.kind];
  let run = probes.get(literal.kind);
  if (run === undefined) {
    run = plan(ENV, parse(probe.source));
    probes.set(literal.kind, run);
  }
  const result = run({ v: literal.value });
  return isCelError(result) ? `${probe.what}: ${result.message}` : undefined;
}

export function compileCelCondition(source: string): CelCompileResult {
  if (source.trim().length === 0) return { ok: false, message: 'condition is empty' };
  if (source.length > MAX_CEL_SOURCE_LENGTH) return { ok: false, message: `condition is longer than ${MAX_CEL_SOURCE_LENGTH} characters` };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (error) {
    // The parser is recursive; absurd nesting ends here as a RangeError, caught like a syntax error.
    return { ok: false, message: `syntax error: ${errorMessage(error)}` };
  }
  let checked: ReturnType<typeof checkCel>;
  try {
    checked = checkCel(parsed, CEL_CONTEXT);
  } catch (error) {
    if (error instanceof CelCheckError || error instanceof RangeError) return { ok: false, message: errorMessage(error) };
    throw error;
  }
  if (checked.resultType.kind !== 'bool') {
    return { ok: false, message: `condition must evaluate to a bool, not ${formatCelType(checked.resultType)}` };
  }
  for (const literal of checked.literals) {
    const problem = probeLiteral(literal);
    if (problem !== undefined) return { ok: false, message: problem };
  }
  let run: CelCondition['run'];
  try {
    run = plan(ENV, parsed);
  } catch (error) {
    return { ok: false, message: `cannot plan condition: ${errorMessage(error)}` };
  }
  const paths = [...checked.paths].sort();
  return {
    ok: true,
    condition: {
      source,
      paths,
      volatile: paths.some((path) => VOLATILE_CONTEXT_PATHS.some((volatile) => pathsOverlap(path, volatile))),
      readsGroups: paths.some((path) => pathsOverlap(path, GROUPS_CONTEXT_PATH)),
      run,
    },
  };
}

/**
 * Evaluates a condition. Every failure — a missing optional field, an unbindable input, a
 * non-bool result, an exception inside the library — comes back as `error`, never thrown: the
 * evaluator then fails closed (README "Failing closed").
 */
export function evaluateCelCondition(condition: CelCondition, bindings: CelBindings): CelEvaluation {
  for (const path of condition.paths) {
    for (const [unavailable, why] of bindings.unavailable) {
      if (pathsOverlap(path, unavailable)) return { kind: 'error', message: `${unavailable} is unavailable: ${why}` };
    }
  }
  let result: CelResult;
  try {
    result = condition.run(bindings.values);
  } catch (error) {
    return { kind: 'error', message: errorMessage(error) };
  }
  if (isCelError(result)) return { kind: 'error', message: result.message };
  if (typeof result !== 'boolean') return { kind: 'error', message: 'condition did not evaluate to a bool' };
  return { kind: 'value', value: result };
}
