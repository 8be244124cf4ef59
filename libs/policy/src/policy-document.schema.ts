// The policy document as admins write it (YAML or JSON), validated with zod at the boundary
// (DESIGN.md "Policy"; README "Rule format"). Objects are strict: a misspelt key (`mathc:`) would
// otherwise silently widen a rule to match everything, so it is an error instead.

import { z } from 'zod';
import { CONNECTION_PROTOCOLS } from './policy-input.js';
import { MASK_DETECTORS } from './mask-plan.js';
import { MAX_LIST_ENTRIES, MAX_PATTERN_LENGTH, MAX_RULE_ID_LENGTH, MAX_RULES, MAX_TEXT_LENGTH } from './policy-limits.js';

export const DEFAULT_REVIEW_TIMEOUT_SECONDS = 900;
export const MAX_REVIEW_TIMEOUT_SECONDS = 86_400;
export const MAX_MIN_APPROVALS = 10;
export const MAX_PARTIAL_KEEP_LAST = 32;

const RULE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const TAG_KEY = /^[A-Za-z0-9_.:/-]+$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const pattern = text(MAX_PATTERN_LENGTH);
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .min(1, 'must list at least one entry (omit the field to match anything)')
    .max(MAX_LIST_ENTRIES, `must list at most ${MAX_LIST_ENTRIES} entries`);

const principalMatchSchema = z.strictObject({
  groups: list(pattern).optional(),
  roles: list(pattern).optional(),
  appIds: list(pattern).optional(),
  subjects: list(pattern).optional(),
  kinds: list(z.enum(['workload', 'user'])).optional(),
});

const tagKey = z
  .string()
  .min(1)
  .max(128)
  .regex(TAG_KEY, "tag keys use letters, digits and '_', '.', ':', '/', '-'")
  .refine((key) => !FORBIDDEN_KEYS.has(key), 'this tag key is reserved');

const connectionMatchSchema = z.strictObject({
  names: list(pattern).optional(),
  tags: z
    .record(tagKey, pattern)
    .refine((tags) => Object.keys(tags).length > 0, 'must list at least one tag (omit the field to match anything)')
    .refine((tags) => Object.keys(tags).length <= 64, 'must list at most 64 tags')
    .optional(),
  protocols: list(z.enum(CONNECTION_PROTOCOLS)).optional(),
});

const ruleMatchSchema = z.strictObject({
  principal: principalMatchSchema.optional(),
  connection: connectionMatchSchema.optional(),
  commands: list(pattern).optional(),
  tables: list(pattern).optional(),
  paths: list(pattern).optional(),
  namespaces: list(pattern).optional(),
});

/** `'redact'` is shorthand for `{ kind: 'redact' }` (also `hash`, `null`). */
const strategySchema = z.preprocess(
  (value) => (value === 'redact' || value === 'hash' || value === 'null' ? { kind: value } : value),
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('redact') }),
    z.strictObject({ kind: z.literal('partial'), keepLast: z.int().min(0).max(MAX_PARTIAL_KEEP_LAST) }),
    z.strictObject({ kind: z.literal('hash') }),
    z.strictObject({ kind: z.literal('null') }),
  ]),
);

const maskSchema = z
  .strictObject({
    columns: z
      .array(z.strictObject({ pattern, strategy: strategySchema }))
      .max(MAX_LIST_ENTRIES)
      .default([]),
    detectors: z
      .array(z.strictObject({ detector: z.enum(MASK_DETECTORS), strategy: strategySchema }))
      .max(MAX_LIST_ENTRIES)
      .default([]),
  })
  .refine((mask) => mask.columns.length + mask.detectors.length > 0, 'a mask effect needs at least one column or detector');

const reviewSchema = z.strictObject({
  approverGroups: list(pattern),
  timeoutSeconds: z.int().min(1).max(MAX_REVIEW_TIMEOUT_SECONDS).default(DEFAULT_REVIEW_TIMEOUT_SECONDS),
  minApprovals: z.int().min(1).max(MAX_MIN_APPROVALS).default(1),
});

const EFFECT_KEYS = ['allow', 'deny', 'review', 'mask'] as const;

/** `effect: allow` / `effect: deny` are shorthand for `{ allow: {} }` / `{ deny: {} }`. */
const effectSchema = z.preprocess(
  (value) => (value === 'allow' || value === 'deny' ? { [value]: {} } : value),
  z
    .strictObject({
      allow: z.strictObject({}).optional(),
      deny: z.strictObject({ message: text(MAX_TEXT_LENGTH).optional() }).optional(),
      review: reviewSchema.optional(),
      mask: maskSchema.optional(),
    })
    .superRefine((effect, ctx) => {
      const present = EFFECT_KEYS.filter((key) => effect[key] !== undefined);
      if (present.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message: `an effect is exactly one of allow, deny, review, mask (found ${present.length === 0 ? 'none' : present.join(', ')})`,
        });
      }
    }),
);

const ruleSchema = z.strictObject({
  id: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_RULE_ID_LENGTH, `must be at most ${MAX_RULE_ID_LENGTH} characters`)
    .regex(RULE_ID, "must be a slug: lower-case letters and digits separated by single '-'"),
  description: text(MAX_TEXT_LENGTH).optional(),
  match: ruleMatchSchema.optional(),
  when: z.string().optional(),
  effect: effectSchema,
});

export const policyDocumentSchema = z.strictObject({
  rules: z.array(ruleSchema).max(MAX_RULES, `a policy has at most ${MAX_RULES} rules`),
});

export type PolicyDocument = z.output<typeof policyDocumentSchema>;
export type PolicyRuleDocument = PolicyDocument['rules'][number];
export type RuleMatchDocument = NonNullable<PolicyRuleDocument['match']>;
export type RuleEffectDocument = PolicyRuleDocument['effect'];

export interface ReviewRequirement {
  readonly approverGroups: readonly string[];
  readonly timeoutSeconds: number;
  readonly minApprovals: number;
}
