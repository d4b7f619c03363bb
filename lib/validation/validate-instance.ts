import { validateSync, type ValidationError, type ValidatorOptions } from 'class-validator';
import type { Type } from '@nestjs/common';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { printableName } from '../core/flat-string-map.js';
import { schemaClassName } from './check-schema-class.js';
import { settleQuietly } from './describe-thrown.js';
import { validationPlanOf, type PlannedCheck, type ValidationPlan } from './validation-plan.js';

const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidUnknownValues: true,
  // class-validator would otherwise copy the value and the whole object into each error.
  validationError: { target: false, value: false },
};
// A probe validates some keys only: the others are left out, and their validators must not run
// on the undefined left in their place (a validator that throws on anything would blame them all).
const PROBE_OPTIONS: ValidatorOptions = { ...VALIDATOR_OPTIONS, skipMissingProperties: true };

/** Whether a run validates every key (`full`) or only the keys it holds (`probe`). */
export type ValidationRun = 'full' | 'probe';

/** The options class-validator runs with for `run` (the fast path below assumes exactly these). */
export function validatorOptionsFor(run: ValidationRun): ValidatorOptions {
  return run === 'probe' ? PROBE_OPTIONS : VALIDATOR_OPTIONS;
}

/**
 * `validateSync(object, options)` with the options of `run`, in time linear in the number of
 * keys. Per call, class-validator looks up and groups the metadata of the whole class, filters
 * each property's rules four times, and builds closures and error objects for every property,
 * valid or not (10,000 keys: over a hundred milliseconds, growing faster than the keys). When
 * the class holds only rules whose handling is fully known (see `validationPlanOf`), the same
 * calls are made here from the plan made once per class: the whitelist removes the same
 * properties, the same conditions and validators run in the same order with the same
 * arguments. A set that passes gives `[]`, as class-validator would; at the first validator
 * that fails, class-validator itself runs the whole validation again and its answer is returned,
 * so every error, message and its order is its own. Anything a validator throws propagates,
 * after the same validators as in class-validator.
 *
 * A validator that answers with a promise is refused: `validateSync` cannot wait for it, and
 * class-validator would count the key as valid whatever the promise holds.
 *
 * @throws {DopplerConfigurationError} when a validator the plan runs answers with a promise.
 */
export function validateInstance(object: object, run: ValidationRun): ValidationError[] {
  const options = validatorOptionsFor(run);
  const plan = validationPlanOf((object as { constructor?: unknown }).constructor);
  if (plan !== undefined && passes(plan, object as Record<PropertyKey, unknown>, run === 'probe')) return [];
  return validateSync(object, options);
}

function passes(plan: ValidationPlan, object: Record<PropertyKey, unknown>, probe: boolean): boolean {
  stripUndeclared(plan, object);
  for (const property of plan.properties) {
    const value = object[property.name];
    if (!conditionsHold(property.conditions, object, value)) continue;
    if (!checksPass(property.defined, object, value)) return false;
    // skipMissingProperties: the presence checks (@IsDefined) above still run.
    if (probe && (value === null || value === undefined)) continue;
    if (!checksPass(property.checks, object, value)) return false;
  }
  return true;
}

/** class-validator's whitelist: an own key without rules is deleted (its test, quirks included). */
function stripUndeclared(plan: ValidationPlan, object: Record<PropertyKey, unknown>): void {
  const grouped = plan.grouped as Record<string, { length?: unknown } | undefined>;
  const undeclared: string[] = [];
  for (const key of Object.keys(object)) {
    const rules = grouped[key];
    if (!rules || rules.length === 0) undeclared.push(key);
  }
  for (const key of undeclared) delete object[key];
}

/** Every condition (@IsOptional, @ValidateIf) is called, as class-validator calls them all. */
function conditionsHold(
  conditions: readonly { readonly constraints?: unknown }[],
  object: object,
  value: unknown,
): boolean {
  let hold = true;
  for (const rule of conditions) {
    const condition = (rule.constraints as readonly ((o: object, v: unknown) => unknown)[])[0];
    if (!condition?.(object, value)) hold = false;
  }
  return hold;
}

function checksPass(
  checks: readonly PlannedCheck[],
  object: Record<PropertyKey, unknown>,
  value: unknown,
): boolean {
  for (const { rule, constraints } of checks) {
    for (const { metadata, fixed } of constraints) {
      const constructor = object.constructor as { name?: unknown } | undefined;
      const args = {
        targetName: constructor ? constructor.name : undefined,
        property: rule.propertyName,
        object,
        value,
        constraints: rule.constraints,
      };
      const valid =
        fixed !== undefined
          ? fixed.validate.call(fixed.instance, value, args)
          : // Asked at each call, as class-validator does: a container may hand out a new one each time.
            (metadata.instance as { validate(value: unknown, args: unknown): unknown }).validate(value, args);
      if (isPromise(valid)) {
        settleQuietly(valid);
        throw promisedAnswer(object, rule.propertyName, metadata.name);
      }
      if (!valid) return false;
    }
  }
  return true;
}

function promisedAnswer(object: object, property: unknown, constraint: unknown): DopplerConfigurationError {
  const schema = schemaClassName(object.constructor as Type<object>);
  const rule = typeof constraint === 'string' ? `The validator ${printableName(constraint)}` : 'A validator';
  return new DopplerConfigurationError(
    `${rule} of ${printableName(typeof property === 'string' ? property : undefined)} in ${schema} answered with a promise. ` +
      'Secrets are validated synchronously, and class-validator counts a promise as valid whatever it holds. ' +
      'Make the validator synchronous (a check that must wait can run on the value after bootstrap).',
  );
}

/** class-validator's own test for an asynchronous answer. */
function isPromise(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function'
  );
}
