import { ValidationTypes } from 'class-validator';
import { metadataStorage, type ConstraintMetadata, type RuleMetadata } from './class-validator-metadata.js';

/** A validator to call: class-validator's metadata for it, and its method when it is fixed. */
export interface PlannedConstraint {
  readonly metadata: ConstraintMetadata;
  /**
   * The instance kept on the metadata (see `pinConstraintInstances`) and its `validate`, found
   * once: each decorator use has a class of its own, so `instance.validate` read at each call
   * finds a different shape every time, which V8's lookup caches cannot hold beyond a few
   * thousand (10,000 keys: about a microsecond per read, most of the time validation takes).
   * Absent for an instance a container hands out: it is asked at each call, as class-validator does.
   */
  readonly fixed?: {
    readonly instance: object;
    readonly validate: (value: unknown, args: unknown) => unknown;
  };
}

/** One rule to run on a property, with the validators class-validator holds for its class. */
export interface PlannedCheck {
  readonly rule: RuleMetadata;
  readonly constraints: readonly PlannedConstraint[];
}

/** One property, its rules sorted as class-validator's executor sorts them. */
export interface PlannedProperty {
  readonly name: string;
  /** `@IsOptional()`, `@ValidateIf()`: when one is false, nothing else runs. */
  readonly conditions: readonly RuleMetadata[];
  /** `@IsDefined()`: runs even when missing properties are skipped. */
  readonly defined: readonly PlannedCheck[];
  /** Every other validator, in declaration order. */
  readonly checks: readonly PlannedCheck[];
}

/** What class-validator computes for a class on every validation, computed once. */
export interface ValidationPlan {
  /** The rules by property, as class-validator groups them (the whitelist reads this object). */
  readonly grouped: Readonly<Record<string, readonly RuleMetadata[]>>;
  /** In class-validator's order: the grouped object's own keys. */
  readonly properties: readonly PlannedProperty[];
}

const plans = new WeakMap<object, ValidationPlan | null>();

// Rule kinds whose handling in class-validator's executor is fully mirrored by validateInstance.
const RUNNABLE = new Set<unknown>([ValidationTypes.CUSTOM_VALIDATION, ValidationTypes.IS_DEFINED]);
const KNOWN = new Set<unknown>([
  ...RUNNABLE,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.WHITELIST,
]);

/**
 * The plan for validating instances of `target` (the instance's `constructor`, as
 * class-validator looks it up), made once per class, or `undefined` when the class holds a rule
 * whose handling is not mirrored, and class-validator must run: nested or promise validation,
 * `each`, a per-rule `validateIf`, an asynchronous validator, a rule kind unknown here, or no
 * rule at all (then `forbidUnknownValues` reports the object). Groups and `always` need no
 * handling: validation runs without groups, where class-validator keeps every rule.
 *
 * Like the schema check, the plan assumes a class's decorators are all applied before its
 * first validation (class-validator would also see rules added later).
 */
export function validationPlanOf(target: unknown): ValidationPlan | undefined {
  if (typeof target !== 'function') return undefined;
  let plan = plans.get(target);
  if (plan === undefined) {
    plan = planFor(target as new () => object);
    plans.set(target, plan);
  }
  return plan ?? undefined;
}

function planFor(target: new () => object): ValidationPlan | null {
  const storage = metadataStorage();
  if (
    typeof storage.getTargetValidatorConstraints !== 'function' ||
    typeof storage.groupByPropertyName !== 'function'
  ) {
    return null;
  }
  // The arguments class-validator's executor passes without groups, `always` or a schema name.
  const rules = storage.getTargetValidationMetadatas(target, undefined, false, false, undefined);
  if (rules.length === 0) return null;
  const grouped = storage.groupByPropertyName(rules);
  const properties: PlannedProperty[] = [];
  for (const name of Object.keys(grouped)) {
    const own = grouped[name] ?? [];
    const conditions: RuleMetadata[] = [];
    const defined: PlannedCheck[] = [];
    const checks: PlannedCheck[] = [];
    for (const rule of own) {
      if (!KNOWN.has(rule.type) || rule.each || rule.validateIf !== undefined) return null;
      if (rule.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        if (!Array.isArray(rule.constraints) || typeof rule.constraints[0] !== 'function') return null;
        conditions.push(rule);
      } else if (RUNNABLE.has(rule.type)) {
        const constraints = storage.getTargetValidatorConstraints(rule.constraintCls);
        if (constraints.some((c) => c.async)) return null;
        const check = { rule, constraints: constraints.map(planConstraint) };
        (rule.type === ValidationTypes.IS_DEFINED ? defined : checks).push(check);
      }
    }
    properties.push({ name, conditions, defined, checks });
  }
  return { grouped, properties };
}

function planConstraint(metadata: ConstraintMetadata): PlannedConstraint {
  const own = Object.getOwnPropertyDescriptor(metadata, 'instance');
  const instance: unknown = own !== undefined && 'value' in own ? own.value : undefined;
  const validate: unknown =
    instance !== null && typeof instance === 'object'
      ? (instance as { validate?: unknown }).validate
      : undefined;
  return typeof validate === 'function'
    ? {
        metadata,
        fixed: {
          instance: instance as object,
          validate: validate as (value: unknown, args: unknown) => unknown,
        },
      }
    : { metadata };
}
