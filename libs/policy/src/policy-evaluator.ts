// Evaluation: every rule against the input, then the combining algorithm of DESIGN.md "Policy":
// deny > review > mask > allow; nothing matched → deny. Mask rules restrict what an allow (or an
// approved review) grants and never grant on their own, so adding one cannot widen access.
// README "Evaluation" and "Failing closed".

import { buildCelBindings, type CelBindings } from './cel-context.js';
import { evaluateCelCondition } from './cel-condition.js';
import { mergeMaskPlans, type MaskPlan } from './mask-plan.js';
import type { CompiledPolicy, CompiledRule, EffectKind } from './policy-compiler.js';
import type { ReviewRequirement } from './policy-document.schema.js';
import type { PolicyInput } from './policy-input.js';
import { matchRule, prepareMatchSubject, type MatchSubject } from './rule-matcher.js';

export type DecisionEffect = 'allow' | 'deny' | 'review' | 'mask';

export interface Decision {
  readonly effect: DecisionEffect;
  /** The rules that produced the effect (empty for the default deny). */
  readonly ruleIds: readonly string[];
  /** Human-readable; names rule ids, descriptions and deny messages. Never contains statement text. */
  readonly reason: string;
  /**
   * The union of the applicable mask rules. Present when the effect is `mask`, and also on `review`
   * when mask rules apply: what runs after approval is still masked.
   */
  readonly mask?: MaskPlan;
  /** Merged review requirement, present when the effect is `review`. */
  readonly review?: ReviewRequirement;
  /** False for review, and when any evaluated condition read a volatile path (cel-context.ts). */
  readonly cacheable: boolean;
  readonly policyVersion?: string;
}

/**
 * `matched`: every match field held and the condition was true. `unsettled`: nothing failed but
 * something could not be decided (group overage, a non-canonical path, a condition that errored).
 */
export type RuleState = 'matched' | 'not-matched' | 'unsettled';

export interface RuleExplanation {
  readonly ruleId: string;
  readonly effect: EffectKind;
  /**
   * The rule counts for its own effect, whatever won: a matched rule, an unsettled deny/review (fail
   * closed), an unsettled mask when its masking was applied; an unsettled allow never.
   */
  readonly matched: boolean;
  readonly state: RuleState;
  /** Which match field failed, or what the condition returned. */
  readonly why: string;
}

export interface Explanation {
  readonly decision: Decision;
  /** Every rule, in policy order. */
  readonly rules: readonly RuleExplanation[];
}

interface RuleOutcome {
  readonly rule: CompiledRule;
  readonly state: RuleState;
  /** Built only when explain asks. */
  readonly why: () => string;
  /** Why it is unsettled, for the decision's reason (no input values). */
  readonly unsettled: readonly string[];
  /** Its condition ran and read a volatile path. */
  readonly readVolatile: boolean;
}

function evaluateRule(rule: CompiledRule, subject: MatchSubject, bindings: () => CelBindings): RuleOutcome {
  const match = matchRule(rule.match, subject, rule.effect.kind === 'allow' ? 'all' : 'any');
  if (match.state === 'no-match') return { rule, state: 'not-matched', why: match.why, unsettled: [], readVolatile: false };
  const staticState: RuleState = match.state === 'match' ? 'matched' : 'unsettled';
  const condition = rule.when;
  if (condition === undefined) return { rule, state: staticState, why: match.why, unsettled: match.unsettled, readVolatile: false };
  const result = evaluateCelCondition(condition, bindings());
  const readVolatile = condition.volatile;
  if (result.kind === 'error') {
    return {
      rule,
      state: 'unsettled',
      why: () => `when: evaluation failed (${result.message.slice(0, 200)})`,
      unsettled: [...match.unsettled, 'its condition failed to evaluate'],
      readVolatile,
    };
  }
  if (subject.input.principal.groupOverage && condition.readsGroups) {
    // The token does not list every group, so a condition over principal.groups can be wrong
    // either way: it decides nothing.
    return {
      rule,
      state: 'unsettled',
      why: () => `when: ${result.value} but it reads principal.groups under group overage`,
      unsettled: [...match.unsettled, 'its condition reads principal.groups under group overage'],
      readVolatile,
    };
  }
  if (!result.value) return { rule, state: 'not-matched', why: () => 'when: condition is false', unsettled: [], readVolatile };
  return { rule, state: staticState, why: () => `${match.why()}; when: condition is true`, unsettled: match.unsettled, readVolatile };
}

function describe(outcome: RuleOutcome): string {
  const { rule } = outcome;
  let text = rule.id;
  if (rule.description !== undefined) text += ` (${rule.description})`;
  if (rule.effect.kind === 'deny' && rule.effect.message !== undefined) text += `: ${rule.effect.message}`;
  if (outcome.state === 'unsettled') text += ` [applied although ${outcome.unsettled.join(' and ')}: fail closed]`;
  return text;
}

function describeAll(outcomes: readonly RuleOutcome[]): string {
  return `${outcomes.length === 1 ? 'rule' : 'rules'} ${outcomes.map(describe).join('; ')}`;
}

function mergeReviews(reviews: readonly ReviewRequirement[]): ReviewRequirement {
  // Union of approver groups (any listed group may approve), the shortest timeout and the highest
  // approval count: merging never weakens any one rule's requirement.
  const groups = new Set<string>();
  for (const review of reviews) for (const group of review.approverGroups) groups.add(group);
  return {
    approverGroups: [...groups],
    timeoutSeconds: Math.min(...reviews.map((review) => review.timeoutSeconds)),
    minApprovals: Math.max(...reviews.map((review) => review.minApprovals)),
  };
}

function maskPlanOf(outcomes: readonly RuleOutcome[]): MaskPlan {
  return mergeMaskPlans(outcomes.flatMap((outcome) => (outcome.rule.effect.kind === 'mask' ? [outcome.rule.effect.mask] : [])));
}

interface Combined {
  readonly decision: Decision;
  /** Rules that took part in the decision. */
  readonly applied: ReadonlySet<RuleOutcome>;
}

function combine(policy: CompiledPolicy, input: PolicyInput, outcomes: readonly RuleOutcome[]): Combined {
  const of = (effect: EffectKind, states: readonly RuleState[]) =>
    outcomes.filter((outcome) => outcome.rule.effect.kind === effect && states.includes(outcome.state));
  // Fail closed: an unsettled deny or review applies; an unsettled allow does not. Mask rules only
  // ever restrict — their columns are masked when an allow or review grants access — so an
  // unsettled mask still masks, and no mask rule grants access on its own (README "Evaluation").
  const denies = of('deny', ['matched', 'unsettled']);
  const reviews = of('review', ['matched', 'unsettled']);
  const masks = of('mask', ['matched', 'unsettled']);
  const allows = of('allow', ['matched']);
  const unsettledAllows = of('allow', ['unsettled']);
  const cacheable = !outcomes.some((outcome) => outcome.readVolatile);
  const version = policy.version === undefined ? {} : { policyVersion: policy.version };
  const decide = (decision: Omit<Decision, 'cacheable' | 'policyVersion'>, applied: readonly RuleOutcome[]): Combined => ({
    decision: { ...decision, cacheable: cacheable && decision.effect !== 'review', ...version },
    applied: new Set(applied),
  });

  if (denies.length > 0) {
    return decide({ effect: 'deny', ruleIds: denies.map((o) => o.rule.id), reason: `Denied by ${describeAll(denies)}.` }, [
      ...denies,
      ...reviews,
    ]);
  }
  if (input.command.classes.length === 0) {
    return decide({ effect: 'deny', ruleIds: [], reason: 'Denied: the command has no classification (fail closed).' }, []);
  }
  if (reviews.length > 0) {
    const masked = masks.length > 0 ? ` After approval, results are masked by ${describeAll(masks)}.` : '';
    return decide(
      {
        effect: 'review',
        ruleIds: reviews.map((o) => o.rule.id),
        reason: `Review required by ${describeAll(reviews)}.${masked}`,
        review: mergeReviews(reviews.flatMap((o) => (o.rule.effect.kind === 'review' ? [o.rule.effect.review] : []))),
        ...(masks.length > 0 ? { mask: maskPlanOf(masks) } : {}),
      },
      [...reviews, ...masks],
    );
  }
  if (allows.length > 0 && masks.length > 0) {
    return decide(
      {
        effect: 'mask',
        ruleIds: masks.map((o) => o.rule.id),
        reason: `Allowed by ${describeAll(allows)}, with masking by ${describeAll(masks)}.`,
        mask: maskPlanOf(masks),
      },
      [...masks, ...allows],
    );
  }
  if (allows.length > 0) {
    return decide({ effect: 'allow', ruleIds: allows.map((o) => o.rule.id), reason: `Allowed by ${describeAll(allows)}.` }, allows);
  }
  const unsettledNote =
    unsettledAllows.length > 0
      ? ` Not applied because they could not be settled: ${unsettledAllows.map((o) => `${o.rule.id} (${o.unsettled.join(' and ')})`).join('; ')}.`
      : '';
  const maskNote =
    masks.length > 0
      ? ` Mask ${masks.length === 1 ? 'rule' : 'rules'} ${masks.map((o) => o.rule.id).join(', ')} matched, but masking never grants access.`
      : '';
  return decide({ effect: 'deny', ruleIds: [], reason: `Denied: no rule matched (default deny).${unsettledNote}${maskNote}` }, []);
}

function run(policy: CompiledPolicy, input: PolicyInput): { combined: Combined; outcomes: RuleOutcome[] } {
  let bindings: CelBindings | undefined;
  const lazyBindings = (): CelBindings => (bindings ??= buildCelBindings(input));
  const subject = prepareMatchSubject(input);
  const outcomes = policy.rules.map((rule) => evaluateRule(rule, subject, lazyBindings));
  return { combined: combine(policy, input, outcomes), outcomes };
}

/** Decides one command (or `session.open`). Pure; never throws on well-typed input. */
export function evaluate(policy: CompiledPolicy, input: PolicyInput): Decision {
  return run(policy, input).combined.decision;
}

/** The decision plus, for every rule, whether it took part and why (issue 5: the explain call). */
export function explain(policy: CompiledPolicy, input: PolicyInput): Explanation {
  const { combined, outcomes } = run(policy, input);
  return {
    decision: combined.decision,
    rules: outcomes.map((outcome) => ({
      ruleId: outcome.rule.id,
      effect: outcome.rule.effect.kind,
      matched: combined.applied.has(outcome) || isApplicable(outcome),
      state: outcome.state,
      why: outcome.why(),
    })),
  };
}

/** Whether a rule counts for its own effect, whatever won: unsettled deny/review do, unsettled allow/mask do not. */
function isApplicable(outcome: RuleOutcome): boolean {
  switch (outcome.rule.effect.kind) {
    case 'deny':
    case 'review':
      return outcome.state !== 'not-matched';
    case 'allow':
    case 'mask':
      return outcome.state === 'matched';
  }
}
