// Public surface of @sluice/policy: the policy model, its validation, CEL conditions and the evaluator.
export type {
  ConnectionProtocol,
  PolicyCommand,
  PolicyConnection,
  PolicyHttpRequest,
  PolicyInput,
  PolicyKubernetesRequest,
  PolicyPrincipal,
  PrincipalKind,
} from './policy-input.js';
export { CONNECTION_PROTOCOLS } from './policy-input.js';
export {
  MASK_DETECTORS,
  type MaskColumnRule,
  type MaskDetector,
  type MaskDetectorRule,
  type MaskPlan,
  type MaskStrategy,
} from './mask-plan.js';
export {
  DEFAULT_REVIEW_TIMEOUT_SECONDS,
  MAX_MIN_APPROVALS,
  MAX_PARTIAL_KEEP_LAST,
  MAX_REVIEW_TIMEOUT_SECONDS,
  policyDocumentSchema,
  type PolicyDocument,
  type PolicyRuleDocument,
  type ReviewRequirement,
  type RuleEffectDocument,
  type RuleMatchDocument,
} from './policy-document.schema.js';
export {
  compilePolicy,
  formatPolicyPath,
  parsePolicy,
  type CompileOptions,
  type CompiledEffect,
  type CompiledPolicy,
  type CompiledRule,
  type EffectKind,
  type PolicyLoadResult,
} from './policy-compiler.js';
export type { PolicyError } from './policy-error.js';
export type { PolicyFormat } from './policy-text-reader.js';
export {
  evaluate,
  explain,
  type Decision,
  type DecisionEffect,
  type Explanation,
  type RuleExplanation,
  type RuleState,
} from './policy-evaluator.js';
export { CEL_CONTEXT, VOLATILE_CONTEXT_PATHS } from './cel-context.js';
export type { CelFieldDecl, CelScalarKind, CelTypeDecl } from './cel-type.js';
export { DEFAULT_POLICY, DEFAULT_POLICY_DOCUMENT, DEFAULT_POLICY_VERSION } from './default-policy.js';
export {
  MAX_CEL_AST_DEPTH,
  MAX_CEL_AST_NODES,
  MAX_CEL_COMMAND_TEXT_LENGTH,
  MAX_CEL_COMPREHENSION_NESTING,
  MAX_CEL_REGEX_LENGTH,
  MAX_CEL_SOURCE_LENGTH,
  MAX_LIST_ENTRIES,
  MAX_PATTERN_LENGTH,
  MAX_POLICY_TEXT_LENGTH,
  MAX_RULE_ID_LENGTH,
  MAX_RULES,
  MAX_TEXT_LENGTH,
  MAX_YAML_ALIASES,
  MAX_YAML_DEPTH,
} from './policy-limits.js';
