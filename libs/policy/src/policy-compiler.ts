// Loading a policy: text → document (YAML/JSON) → validated document (zod) → compiled rules
// (patterns parsed, `when` conditions type-checked and planned once). Every problem comes back with
// a path such as `rules[3].when` so the REST API can answer 400 with it (issue 5, "Storage and API").

import type { z } from 'zod';
import { compileCelCondition, type CelCondition } from './cel-condition.js';
import { parseCommandClassPattern, type CommandClassPattern, type PatternResult } from './command-class-pattern.js';
import { parseNameGlob, parsePathGlob, parseTableGlob, type NameGlob, type PathGlob, type TableGlob } from './glob-pattern.js';
import type { MaskPlan } from './mask-plan.js';
import { policyDocumentSchema, type PolicyDocument, type PolicyRuleDocument, type ReviewRequirement } from './policy-document.schema.js';
import type { ConnectionProtocol, PrincipalKind } from './policy-input.js';
import type { PolicyError } from './policy-error.js';
import { readPolicyText, type PolicyFormat } from './policy-text-reader.js';

export type PolicyLoadResult =
  { readonly ok: true; readonly policy: CompiledPolicy } | { readonly ok: false; readonly errors: readonly PolicyError[] };

export type CompiledEffect =
  | { readonly kind: 'allow' }
  | { readonly kind: 'deny'; readonly message?: string }
  | { readonly kind: 'review'; readonly review: ReviewRequirement }
  | { readonly kind: 'mask'; readonly mask: MaskPlan };

export type EffectKind = CompiledEffect['kind'];

export interface CompiledPrincipalMatch {
  /** Lower-cased: directory object ids and role values compare case-insensitively. */
  readonly groups?: ReadonlySet<string>;
  readonly roles?: ReadonlySet<string>;
  readonly appIds?: ReadonlySet<string>;
  /** Exact: subjects are opaque, issuer-defined strings. */
  readonly subjects?: ReadonlySet<string>;
  readonly kinds?: ReadonlySet<PrincipalKind>;
}

export interface CompiledConnectionMatch {
  readonly names?: readonly NameGlob[];
  /** `[key, lower-cased value or '*']`; every listed tag must match. */
  readonly tags?: readonly (readonly [string, string])[];
  readonly protocols?: ReadonlySet<ConnectionProtocol>;
}

export interface CompiledMatch {
  readonly principal?: CompiledPrincipalMatch;
  readonly connection?: CompiledConnectionMatch;
  readonly commands?: readonly CommandClassPattern[];
  readonly tables?: readonly TableGlob[];
  readonly paths?: readonly PathGlob[];
  readonly namespaces?: readonly NameGlob[];
}

export interface CompiledRule {
  /** Position in the document, for messages. */
  readonly index: number;
  readonly id: string;
  readonly description?: string;
  readonly match: CompiledMatch;
  readonly when?: CelCondition;
  readonly effect: CompiledEffect;
}

declare const compiledPolicyBrand: unique symbol;

/** A validated, compiled policy. Only `compilePolicy`/`parsePolicy` make one; it is immutable. */
export interface CompiledPolicy {
  readonly [compiledPolicyBrand]: true;
  /** Set by the caller (the stored version number); echoed in every decision. */
  readonly version?: string;
  /** The validated document with defaults filled in, fit to store or show. */
  readonly document: PolicyDocument;
  readonly rules: readonly CompiledRule[];
}

export interface CompileOptions {
  /** The stored version number; echoed in every decision. */
  readonly version?: string;
  /**
   * Extra validation of each rule's mask plan, e.g. @sluice/masking's validator, so a column
   * pattern the agent would refuse is a load error here rather than a refusal at run time.
   * Returns problems; reported at `rules[i].effect.mask`.
   */
  readonly checkMaskPlan?: (plan: MaskPlan) => readonly string[];
}

/** Formats a zod-style path: `['rules', 3, 'when']` → `rules[3].when`. */
export function formatPolicyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === '' ? '(root)' : out;
}

function zodErrors(error: z.ZodError): PolicyError[] {
  const errors: PolicyError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ path: formatPolicyPath([...issue.path, key]), message: 'unknown field' });
    } else if (issue.code === 'invalid_key') {
      const detail = issue.issues.map((inner) => inner.message).join('; ');
      errors.push({ path: formatPolicyPath(issue.path), message: `invalid key: ${detail}` });
    } else {
      errors.push({ path: formatPolicyPath(issue.path), message: issue.message });
    }
  }
  return errors;
}

/** Parses YAML or JSON text and compiles it. Never throws on bad input. */
export function parsePolicy(text: string, format: PolicyFormat, options: CompileOptions = {}): PolicyLoadResult {
  const read = readPolicyText(text, format);
  return read.ok ? compilePolicy(read.value, options) : read;
}

function compileList<T>(
  errors: PolicyError[],
  path: readonly PropertyKey[],
  sources: readonly string[] | undefined,
  parse: (source: string) => PatternResult<T>,
): T[] | undefined {
  if (sources === undefined) return undefined;
  const out: T[] = [];
  sources.forEach((source, i) => {
    const result = parse(source);
    if (result.ok) out.push(result.pattern);
    else errors.push({ path: formatPolicyPath([...path, i]), message: result.message });
  });
  return out;
}

function lowerSet(values: readonly string[] | undefined): ReadonlySet<string> | undefined {
  return values === undefined ? undefined : new Set(values.map((value) => value.toLowerCase()));
}

function compileMatch(rule: PolicyRuleDocument, base: readonly PropertyKey[], errors: PolicyError[]): CompiledMatch {
  const match = rule.match;
  if (match === undefined) return {};
  const at = [...base, 'match'];
  const { principal, connection } = match;
  return {
    principal: principal && {
      groups: lowerSet(principal.groups),
      roles: lowerSet(principal.roles),
      appIds: lowerSet(principal.appIds),
      subjects: principal.subjects && new Set(principal.subjects),
      kinds: principal.kinds && new Set(principal.kinds),
    },
    connection: connection && {
      names: compileList(errors, [...at, 'connection', 'names'], connection.names, (source) => parseNameGlob('connection name', source)),
      tags:
        connection.tags && Object.entries(connection.tags).map(([key, value]) => [key, value === '*' ? '*' : value.toLowerCase()] as const),
      protocols: connection.protocols && new Set(connection.protocols),
    },
    commands: compileList(errors, [...at, 'commands'], match.commands, parseCommandClassPattern),
    tables: compileList(errors, [...at, 'tables'], match.tables, parseTableGlob),
    paths: compileList(errors, [...at, 'paths'], match.paths, parsePathGlob),
    namespaces: compileList(errors, [...at, 'namespaces'], match.namespaces, (source) => parseNameGlob('namespace', source)),
  };
}

function compileEffect(effect: PolicyRuleDocument['effect']): CompiledEffect {
  if (effect.deny !== undefined)
    return effect.deny.message === undefined ? { kind: 'deny' } : { kind: 'deny', message: effect.deny.message };
  if (effect.review !== undefined) return { kind: 'review', review: effect.review };
  if (effect.mask !== undefined) return { kind: 'mask', mask: effect.mask };
  return { kind: 'allow' };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Validates and compiles an already-parsed document (e.g. a JSON request body). Never throws on bad input. */
export function compilePolicy(value: unknown, options: CompileOptions = {}): PolicyLoadResult {
  const parsed = policyDocumentSchema.safeParse(value);
  if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error) };
  const document = parsed.data;
  const errors: PolicyError[] = [];
  const firstIndexById = new Map<string, number>();
  const rules: CompiledRule[] = [];
  document.rules.forEach((rule, index) => {
    const base = ['rules', index];
    const first = firstIndexById.get(rule.id);
    if (first === undefined) firstIndexById.set(rule.id, index);
    else
      errors.push({ path: formatPolicyPath([...base, 'id']), message: `duplicate rule id '${rule.id}' (already used by rules[${first}])` });
    const match = compileMatch(rule, base, errors);
    let when: CelCondition | undefined;
    if (rule.when !== undefined) {
      const compiled = compileCelCondition(rule.when);
      if (compiled.ok) when = compiled.condition;
      else errors.push({ path: formatPolicyPath([...base, 'when']), message: compiled.message });
    }
    if (rule.effect.mask !== undefined && options.checkMaskPlan !== undefined) {
      for (const problem of options.checkMaskPlan(rule.effect.mask)) {
        errors.push({ path: formatPolicyPath([...base, 'effect', 'mask']), message: problem });
      }
    }
    rules.push({
      index,
      id: rule.id,
      ...(rule.description === undefined ? {} : { description: rule.description }),
      match,
      ...(when === undefined ? {} : { when }),
      effect: compileEffect(rule.effect),
    });
  });
  if (errors.length > 0) return { ok: false, errors };
  const policy = {
    document: deepFreeze(document),
    rules: deepFreeze(rules),
    ...(options.version === undefined ? {} : { version: options.version }),
  };
  return { ok: true, policy: Object.freeze(policy) as unknown as CompiledPolicy };
}
