import {
  Allow,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  registerDecorator,
  Validate,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  validateSync,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { attempt } from './describe-thrown.js';
import { pinConstraintInstances } from './pin-constraint-instances.js';
import { validateInstance, validatorOptionsFor, type ValidationRun } from './validate-instance.js';
import { validationPlanOf } from './validation-plan.js';

/*
 * validateInstance must answer exactly what class-validator's validateSync answers with the same
 * options, on any schema and payload: the same errors (classes, properties, constraints, messages,
 * contexts, order), the same properties left on the object by the whitelist, the same value thrown.
 * The one difference: a validator answering with a promise that the plan reaches is refused
 * (DopplerConfigurationError), where validateSync would count the key as valid.
 */

@ValidatorConstraint({ name: 'startsWithA' })
class StartsWithA implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && value.startsWith('a');
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must start with a`;
  }
}

const BOOM = new Error('boom');
/** What the schema's own functions were called with, in order. */
const calls: string[] = [];

type Decorate = (proto: object, key: string) => void;
interface RuleKind {
  readonly name: string;
  /** False for the kinds class-validator must run itself (no plan). */
  readonly planned: boolean;
  readonly apply: Decorate;
}

const RULES: readonly RuleKind[] = [
  { name: 'IsString', planned: true, apply: IsString() },
  { name: 'IsInt', planned: true, apply: IsInt() },
  { name: 'Min(0)', planned: true, apply: Min(0) },
  { name: 'Max(10)', planned: true, apply: Max(10) },
  { name: 'MinLength(3)', planned: true, apply: MinLength(3) },
  { name: 'MaxLength(8)', planned: true, apply: MaxLength(8) },
  { name: 'IsUrl', planned: true, apply: IsUrl() },
  { name: 'IsNotEmpty', planned: true, apply: IsNotEmpty() },
  { name: 'IsIn', planned: true, apply: IsIn(['a', 'abc', 12]) },
  { name: 'Matches', planned: true, apply: Matches(/^a/) },
  { name: 'IsBoolean', planned: true, apply: IsBoolean() },
  { name: 'IsNumber', planned: true, apply: IsNumber() },
  { name: 'IsOptional', planned: true, apply: IsOptional() },
  { name: 'IsDefined', planned: true, apply: IsDefined() },
  { name: 'Allow', planned: true, apply: Allow() },
  {
    name: 'ValidateIf',
    planned: true,
    apply: ValidateIf((_, value) => {
      calls.push(`if ${String(value)}`);
      return value !== 'skip';
    }),
  },
  {
    name: 'ValidateIf never',
    planned: true,
    apply: ValidateIf(() => {
      calls.push('never');
      return false;
    }),
  },
  {
    // A falsy answer that is not `false` fails too.
    name: 'a validator answering a number',
    planned: true,
    apply: ValidateBy({
      name: 'numeric',
      validator: { validate: (value) => (typeof value === 'number' ? value : 1) as unknown as boolean },
    }),
  },
  {
    name: 'message with tokens',
    planned: true,
    apply: IsString({ message: '$property of $target got $value ($constraint1) $$&' }),
  },
  {
    name: 'MinLength with a message function',
    planned: true,
    apply: MinLength(3, { message: (args) => `${args.property} needs ${String(args.constraints[0])}` }),
  },
  { name: 'context', planned: true, apply: MinLength(3, { context: { code: 7 } }) },
  { name: 'groups', planned: true, apply: IsString({ groups: ['g'] }) },
  { name: 'always', planned: true, apply: MinLength(2, { always: true }) },
  { name: 'a constraint class', planned: true, apply: Validate(StartsWithA) },
  {
    name: 'a validator that throws',
    planned: true,
    apply: ValidateBy({
      name: 'throwsOnBoom',
      validator: {
        validate: (value, args) => {
          calls.push(`check ${args?.property ?? '?'} ${String(value)}`);
          if (value === 'boom') throw BOOM;
          return true;
        },
      },
    }),
  },
  { name: 'each', planned: false, apply: IsString({ each: true }) },
  { name: 'ValidateNested', planned: false, apply: ValidateNested() },
  {
    // ValidateBy does not pass `async` on: class-validator calls it, and counts its promise as valid.
    name: 'a validator answering with a promise',
    planned: true,
    apply: ValidateBy({ name: 'later', validator: { validate: () => Promise.resolve(false) } }),
  },
  {
    name: 'async',
    planned: false,
    apply: (proto, key) =>
      registerDecorator({
        name: 'asyncLater',
        async: true,
        target: proto.constructor,
        propertyName: key,
        validator: { validate: () => Promise.resolve(false) },
      }),
  },
];

const VALUES: readonly unknown[] = [
  'a',
  'abc',
  'abcdefgh',
  'https://x.example',
  '',
  ' ',
  'skip',
  'boom',
  '12',
  '$&',
  12,
  -1,
  0,
  3.5,
  true,
  null,
  undefined,
  ['a'],
  {},
];

const ruleNamed = (name: string): number => RULES.findIndex((rule) => rule.name === name);
const PROMISED = ruleNamed('a validator answering with a promise');
const NESTED = ruleNamed('ValidateNested');
const property = fc.record({
  rules: fc
    .array(fc.integer({ min: 0, max: RULES.length - 1 }), { maxLength: 3 })
    // Not both on one key: when the nested value has errors, class-validator's validateSync
    // deletes the key's empty `constraints` and its own handler of the promise then throws on
    // them, an unhandled rejection whoever calls it (class-validator 0.15's defect, not a
    // difference to compare).
    .filter((rules) => !(rules.includes(PROMISED) && rules.includes(NESTED))),
  // An index into VALUES, or -1: the payload does not hold the key.
  value: fc.integer({ min: -1, max: VALUES.length - 1 }),
});
const valueOf = (value: unknown): number => VALUES.indexOf(value);
// Rules a value passes, so that whole sets pass too, and the plan's answer `[]` is compared.
const ANY = [
  'IsOptional',
  'IsDefined',
  'Allow',
  'ValidateIf never',
  'ValidateIf',
  'a validator that throws',
  'context',
];
const passing = fc.oneof(
  fc.record({
    rules: fc.subarray(
      [
        ...ANY,
        'IsString',
        'MinLength(3)',
        'MaxLength(8)',
        'Matches',
        'IsIn',
        'IsNotEmpty',
        'message with tokens',
        'MinLength with a message function',
        'groups',
        'always',
        'a constraint class',
      ].map(ruleNamed),
      { maxLength: 4 },
    ),
    value: fc.constant(valueOf('abc')),
  }),
  fc.record({
    rules: fc.subarray(
      [...ANY.slice(0, 6), 'IsInt', 'Min(0)', 'Max(10)', 'IsNumber', 'a validator answering a number'].map(
        ruleNamed,
      ),
      {
        maxLength: 4,
      },
    ),
    value: fc.constant(valueOf(0)),
  }),
);
const scenario = fc.record({
  own: fc.array(fc.oneof(property, passing, passing), { minLength: 1, maxLength: 5 }),
  inherited: fc.array(property, { maxLength: 2 }),
  extra: fc.array(fc.constantFrom('EXTRA', 'toString', 'constructor', 'hasOwnProperty'), { maxLength: 2 }),
  run: fc.constantFrom<ValidationRun>('full', 'probe'),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

let classes = 0;

function build(s: Scenario): {
  schema: new () => object;
  payload: Record<string, unknown>;
  planned: boolean;
} {
  const Parent = class {};
  const Child = class extends Parent {};
  Object.defineProperty(Child, 'name', { value: `Generated${++classes}` });
  const payload: Record<string, unknown> = {};
  let planned = true;
  const declare = (proto: object, props: Scenario['own'], prefix: string): void => {
    props.forEach(({ rules, value }, i) => {
      const key = `${prefix}${i}`;
      for (const r of rules) {
        const rule = RULES[r];
        rule.apply(proto, key);
        planned &&= rule.planned;
      }
      if (value >= 0) payload[key] = VALUES[value];
    });
  };
  declare(Child.prototype, s.own, 'KEY_');
  // A parent's rules reach the child through class-validator's inheritance lookup.
  declare(Parent.prototype, s.inherited, 'PARENT_');
  for (const key of s.extra) payload[key] = 'extra';
  pinConstraintInstances(Child);
  const anyRule = [...s.own, ...s.inherited].some((p) => p.rules.length > 0);
  return { schema: Child, payload, planned: planned && anyRule };
}

function instanceOf(schema: new () => object, payload: Record<string, unknown>): Record<string, unknown> {
  const instance = new schema() as Record<string, unknown>;
  for (const [key, value] of Object.entries(payload)) instance[key] = value;
  return instance;
}

describe('validateInstance against class-validator', () => {
  it('answers as validateSync does, with the same options, on generated schemas and payloads', () => {
    let plannedRuns = 0;
    let failingPlannedRuns = 0;
    let refusals = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const { schema, payload, planned } = build(s);
        expect(validationPlanOf(schema) !== undefined).toBe(planned);
        const ours = instanceOf(schema, payload);
        const theirs = instanceOf(schema, payload);
        calls.length = 0;
        const got = attempt(() => validateInstance(ours, s.run));
        const ourCalls = calls.splice(0);
        const expected = attempt(() => validateSync(theirs, validatorOptionsFor(s.run)));
        const theirCalls = calls.splice(0);
        if (!got.ok && got.thrown instanceof DopplerConfigurationError) {
          // The plan reached a validator answering with a promise, which validateSync would
          // count as valid: refused, after the same calls as class-validator's first ones.
          expect(planned).toBe(true);
          expect(s.own.concat(s.inherited).some((p) => p.rules.includes(PROMISED))).toBe(true);
          expect(got.thrown.message).toMatch(
            /^The validator "later" of "(?:KEY|PARENT)_\d+" in Generated\d+ answered with a promise\./,
          );
          expect(theirCalls.slice(0, ourCalls.length)).toEqual(ourCalls);
          refusals++;
          return;
        }
        // The same calls in the same order; after the first failure (or promise) class-validator's
        // own run follows a prefix of them.
        const rerun = ourCalls.slice(ourCalls.length - theirCalls.length);
        const before = ourCalls.slice(0, ourCalls.length - theirCalls.length);
        expect(rerun).toEqual(theirCalls);
        expect(before).toEqual(theirCalls.slice(0, before.length));
        const passed = expected.ok && expected.value.length === 0;
        if (!planned || passed) expect(before).toEqual([]);
        if (expected.ok) {
          expect(got.ok).toBe(true);
          if (got.ok) expect(got.value).toStrictEqual(expected.value);
          if (planned) {
            plannedRuns++;
            if (expected.value.length > 0) failingPlannedRuns++;
          }
        } else {
          expect(got.ok ? undefined : got.thrown).toBe(expected.thrown);
        }
        // The whitelist removed the same keys.
        expect(Object.keys(ours)).toEqual(Object.keys(theirs));
      }),
      { numRuns: 600 },
    );
    // Both answers of the plan were exercised: sets that pass and sets that fail.
    expect(plannedRuns).toBeGreaterThan(200);
    expect(failingPlannedRuns).toBeGreaterThan(50);
    expect(plannedRuns - failingPlannedRuns).toBeGreaterThan(50);
    // And the refusal (about 13 runs in 600).
    expect(refusals).toBeGreaterThan(0);
  });

  it('runs each validator once on a set that passes (class-validator does not run again)', () => {
    const calls: string[] = [];
    const Counted = class {};
    const proto = Counted.prototype;
    for (let i = 0; i < 300; i++) {
      const key = `KEY_${i}`;
      ValidateBy({
        name: 'counted',
        validator: {
          validate: (value, args) => {
            calls.push(`${args?.property ?? '?'}=${String(value)}`);
            return true;
          },
        },
      })(proto, key);
      MinLength(1)(proto, key);
    }
    pinConstraintInstances(Counted);
    const instance = new Counted() as Record<string, unknown>;
    for (let i = 0; i < 300; i++) instance[`KEY_${i}`] = `v${i}`;
    expect(validateInstance(instance, 'full')).toEqual([]);
    expect(calls).toEqual(Array.from({ length: 300 }, (_, i) => `KEY_${i}=v${i}`));
  });
});
