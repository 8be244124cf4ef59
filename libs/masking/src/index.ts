export {
  DETECTOR_NAMES,
  MASK_PLAN_LIMITS,
  REDACTED_MARKER,
  compareStrictness,
  type ColumnMaskRule,
  type DetectorMaskRule,
  type DetectorName,
  type MaskPlan,
  type MaskStrategy,
  type MaskStrategyKind,
} from './mask-plan.js';
export { MaskPlanError, isDetectorName, parseMaskPlan, validateMaskPlan, type MaskPlanValidation } from './mask-plan-validator.js';
export { mergeMaskPlans } from './mask-plan-merge.js';
export { MIN_HASH_KEY_BYTES, compileStrategy, importHashKey, maskPartial, type MaskFunction } from './mask-strategy.js';
export { type ColumnRef } from './column-pattern.js';
export { compileMaskPlan, type CompileMaskPlanOptions, type MaskMatcher } from './mask-matcher.js';
export { detectAll, type Finding } from './detectors/detector-registry.js';
