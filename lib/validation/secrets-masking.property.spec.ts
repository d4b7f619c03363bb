/**
 * Property tests of what a failed validation may show: for generated secret values (0 B to
 * 1 MiB, full of the characters escaping changes), generated key counts (1 to 10,000) and a
 * menu of schemas whose rules quote, reshape or throw with the value, the outcome is the values,
 * a SecretsValidationError, or (for a schema mistake) a DopplerConfigurationError, and nothing
 * shown holds a fragment of 4 or more characters of any value or of its renderings.
 *
 * Values are built from chunks that each hold "marker" characters no message, stack or
 * rendering of this library contains, and a leak is a 4-character window of a value (or of its
 * JSON/inspect rendering) that holds a marker and appears in what is shown.
 */
import { Transform, plainToInstance } from 'class-transformer';
import {
  Allow,
  IsInt,
  MinLength,
  Validate,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import type { Type } from '@nestjs/common';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import fc from 'fast-check';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { everythingShown } from '../../test/support/everything-shown.js';
import { SecretsValidationError } from '../errors/secrets-validation.error.js';
import { validateSecrets } from './validate-secrets.js';

const MARKERS = ['Ж', 'Щ', 'ψ', 'ǂ', '龍', '\u{1D538}'];
const MARKER_UNITS = new Set<number>();
for (const c of MARKERS) for (let i = 0; i < c.length; i++) MARKER_UNITS.add(c.charCodeAt(i));
/** Indexed by code unit: 1 for a unit of a marker. */
const IS_MARKER_UNIT = new Uint8Array(0x10000);
for (const unit of MARKER_UNITS) IS_MARKER_UNIT[unit] = 1;
// What JSON and util.inspect escape or quote, lone and paired surrogates, and JSON/URL syntax.
// No `,` (the split scenario's separator), no `*` (the mask), no letters or digits (templates).
const SPECIALS = [
  '"',
  "'",
  '`',
  '\\',
  '\n',
  '\t',
  '\r',
  '\u0000',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\ud800',
  '\udfff',
  '\u{1F600}',
  ' ',
  '$',
  '{',
  '}',
  ':',
  '%',
];
const BIG = 1 << 22; // longer than any generated value: a length rule that always fails
const TARGET = 'TARGET';

const markerRun = fc
  .array(fc.constantFrom(...MARKERS), { minLength: 1, maxLength: 3 })
  .map((cs) => cs.join(''));
/** At least 4 code units, starting with a marker. */
const chunk = fc
  .tuple(markerRun, fc.array(fc.oneof(fc.constantFrom(...SPECIALS), markerRun), { maxLength: 6 }))
  .map(([head, rest]) => `${head}${rest.join('')}`.padEnd(4, 'Ж'));
const size = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0, max: 64 }) },
  { weight: 3, arbitrary: fc.integer({ min: 65, max: 8192 }) },
  { weight: 1, arbitrary: fc.constantFrom(65_536, 1 << 20) },
);
const keyCount = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 1, max: 12 }) },
  { weight: 3, arbitrary: fc.integer({ min: 13, max: 1000 }) },
  { weight: 1, arbitrary: fc.constant(10_000) },
);

/** A generated value: chunks repeated (cheap for a megabyte) to about `size` code units. */
interface Canary {
  readonly chunks: readonly string[];
  readonly size: number;
}
const canary = fc.record({ chunks: fc.array(chunk, { minLength: 1, maxLength: 4 }), size });

function repeated(base: string, targetSize: number, separator = ''): { value: string; sample: string } {
  if (targetSize === 0) return { value: '', sample: '' };
  const unit = `${base}${separator}`;
  const times = Math.max(1, Math.ceil(targetSize / unit.length));
  // Every 4-unit window of the value, and of its renderings, is one of this sample's.
  const sampleTimes = Math.min(times, Math.ceil(16 / unit.length) + 3);
  // The same string as n copies joined by the separator, built by the engine's own repeat.
  const build = (n: number): string => (n === 0 ? '' : `${base}${`${separator}${base}`.repeat(n - 1)}`);
  return { value: build(times), sample: build(sampleTimes) };
}

/** What one scenario builds from a generated value. */
interface Built {
  readonly schema: (fillers: readonly string[]) => Type<object> | StandardSchemaV1;
  readonly value: string;
  /** Texts whose windows must not appear: samples of the value, derived forms. */
  readonly leakSources: readonly string[];
  /** The outcome for the target key: valid, a failure with this constraint, or a schema mistake. */
  readonly expected: 'valid' | 'config' | { readonly constraint: string; readonly keyPrefix?: string };
}

interface Scenario {
  readonly name: string;
  readonly build: (c: Canary) => Built;
}

type Decorate = (target: object, key: string) => void;

function classSchema(target: readonly Decorate[], base?: new () => object): Built['schema'] {
  return (fillers) => {
    const Generated = class extends (base ?? Object) {};
    for (const decorate of target) decorate(Generated.prototype, TARGET);
    const fillerRule = MinLength(BIG, { message: 'is short: $value' });
    for (const filler of fillers) fillerRule(Generated.prototype, filler);
    return Generated;
  };
}

function zodSchema(target: z.ZodType): Built['schema'] {
  return (fillers) => {
    const shape: Record<string, z.ZodType> = { [TARGET]: target };
    const fillerRule = z.string().min(BIG, { error: (i) => `is short: ${String(i.input)}` });
    for (const filler of fillers) shape[filler] = fillerRule;
    return z.object(shape);
  };
}

function plainValue(c: Canary): { value: string; leakSources: string[] } {
  const { value, sample } = repeated(c.chunks.join(''), c.size);
  return { value, leakSources: [sample] };
}

@ValidatorConstraint({ name: 'elementsEmpty' })
class ElementsEmpty implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Array.isArray(value) && value.every((e) => e === '');
  }
  defaultMessage(args: ValidationArguments): string {
    const bad = (args.value as string[]).find((e) => e !== '');
    return `element "${String(bad)}" is not empty`;
  }
}

@ValidatorConstraint({ name: 'neverValid' })
class NeverValid implements ValidatorConstraintInterface {
  validate(): boolean {
    return false;
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} was "${String(args.value)}"`;
  }
}

const transformFailure = { constraint: 'transform' } as const;

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'class: new URL transform',
    build: (c) => ({
      ...plainValue(c),
      schema: classSchema([Transform(({ value }: { value: string }) => new URL(value)), Allow()]),
      expected: transformFailure,
    }),
  },
  {
    name: 'class: JSON.parse transform',
    build: (c) => ({
      ...plainValue(c),
      schema: classSchema([
        Transform(({ value }: { value: string }) => JSON.parse(value) as unknown),
        Allow(),
      ]),
      expected: transformFailure,
    }),
  },
  {
    name: 'class: split, then an element rule whose message quotes the element',
    build: (c) => {
      const { value, sample } = repeated(c.chunks.join(','), c.size, ',');
      return {
        value,
        leakSources: [sample],
        schema: classSchema([
          Transform(({ value: v }: { value: string }) => v.split(',')),
          Validate(ElementsEmpty),
        ]),
        expected: value === '' ? 'valid' : { constraint: 'elementsEmpty' },
      };
    },
  },
  {
    name: 'class: trim, then a rule whose message quotes the trimmed value',
    build: (c) => ({
      ...plainValue(c),
      schema: classSchema([
        Transform(({ value }: { value: string }) => value.trim()),
        MinLength(BIG, { message: (a: ValidationArguments) => `"${String(a.value)}" is too short` }),
      ]),
      expected: { constraint: 'minLength' },
    }),
  },
  {
    name: "class: a message with the value JSON.stringify'd",
    build: (c) => ({
      ...plainValue(c),
      schema: classSchema([IsInt({ message: (a: ValidationArguments) => `got ${JSON.stringify(a.value)}` })]),
      expected: { constraint: 'isInt' },
    }),
  },
  {
    name: 'class: a custom constraint whose defaultMessage quotes args.value',
    build: (c) => ({
      ...plainValue(c),
      schema: classSchema([Validate(NeverValid)]),
      expected: { constraint: 'neverValid' },
    }),
  },
  {
    name: 'class: a transform that throws a non-Error holding the value',
    build: (c) => ({
      ...plainValue(c),
      schema: classSchema([
        Transform(({ value }: { value: string }) => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point of the scenario
          throw { value, toString: () => value };
        }),
        Allow(),
      ]),
      expected: transformFailure,
    }),
  },
  {
    name: 'class (schema mistake): a property without a decorator',
    build: (c) => {
      class WithField {
        UNDECORATED = 'x';
      }
      return { ...plainValue(c), schema: classSchema([Allow()], WithField), expected: 'config' };
    },
  },
  {
    name: 'zod: new URL transform',
    build: (c) => ({
      ...plainValue(c),
      schema: zodSchema(z.string().transform((s) => new URL(s))),
      expected: transformFailure,
    }),
  },
  {
    name: 'zod: a record parsed from JSON, with bad entries (its keys in the issue path)',
    build: (c) => {
      const entries = Math.max(1, Math.ceil(c.size / 24));
      const record: Record<string, string> = {};
      for (let i = 0; i < entries; i++)
        record[`${c.chunks[i % c.chunks.length] ?? 'Ж'}${i}`] = c.chunks[0] ?? 'Ж';
      const value = JSON.stringify(record);
      return {
        value,
        // The parsed keys are not always substrings of the JSON text (escapes).
        leakSources: [
          value.slice(0, 4096),
          value.slice(-4096),
          ...Object.keys(record).slice(0, 64),
          ...c.chunks,
        ],
        schema: zodSchema(
          z
            .string()
            .transform((s) => JSON.parse(s) as unknown)
            .pipe(z.record(z.string(), z.number())),
        ),
        expected: { constraint: 'schema', keyPrefix: `${TARGET}.` },
      };
    },
  },
  {
    name: 'zod: a refinement whose message quotes the value',
    build: (c) => ({
      ...plainValue(c),
      schema: zodSchema(z.string().refine(() => false, { error: (i) => `bad value: ${String(i.input)}` })),
      expected: { constraint: 'schema' },
    }),
  },
  {
    name: 'zod: split, then an element refinement whose message quotes the element',
    build: (c) => {
      const { value, sample } = repeated(c.chunks.join(','), c.size, ',');
      return {
        value,
        leakSources: [sample],
        schema: zodSchema(
          z
            .string()
            .transform((s) => s.split(','))
            .pipe(
              z.array(
                z
                  .string()
                  .refine((e) => e === '', { error: (i) => `element "${String(i.input)}" is not empty` }),
              ),
            ),
        ),
        expected: value === '' ? 'valid' : { constraint: 'schema', keyPrefix: `${TARGET}.` },
      };
    },
  },
  {
    name: 'zod: trim, then a rule whose message quotes the trimmed value',
    build: (c) => ({
      ...plainValue(c),
      schema: zodSchema(
        z
          .string()
          .trim()
          .min(BIG, { error: (i) => `"${String(i.input)}" is too short` }),
      ),
      expected: { constraint: 'schema' },
    }),
  },
  {
    name: "zod: a message with the value JSON.stringify'd",
    build: (c) => ({
      ...plainValue(c),
      schema: zodSchema(z.string().refine(() => false, { error: (i) => `got ${JSON.stringify(i.input)}` })),
      expected: { constraint: 'schema' },
    }),
  },
  {
    name: 'zod: a transform that throws a non-Error holding the value',
    build: (c) => ({
      ...plainValue(c),
      schema: zodSchema(
        z.string().transform((s) => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point of the scenario
          throw { s, message: s };
        }),
      ),
      expected: transformFailure,
    }),
  },
];

/** Every 4-unit window holding a marker, of each text and of its JSON and inspect renderings. */
function leakWindows(texts: Iterable<string>): Set<string> {
  const windows = new Set<string>();
  for (const text of texts) {
    for (const form of [
      text,
      JSON.stringify(text),
      inspect(text, { compact: true, maxStringLength: Infinity, breakLength: Infinity }),
      inspect(text, { maxStringLength: Infinity }),
    ]) {
      for (let i = 0; i + 4 <= form.length; i++) {
        const window = form.slice(i, i + 4);
        for (let j = 0; j < 4; j++) {
          if (MARKER_UNITS.has(window.charCodeAt(j))) {
            windows.add(window);
            break;
          }
        }
      }
    }
  }
  return windows;
}

/**
 * Fails at the first 4-unit window of `shown` that is one of `windows`. Every window of the set
 * holds a marker unit (see leakWindows), so only the windows that hold one in `shown` are looked
 * up, those starting up to 3 units before each marker unit: the same verdict (and the same first
 * window) as looking up every window, without slicing the text between markers, which is nearly
 * all of it.
 */
function expectNoLeak(shown: string, windows: ReadonlySet<string>): void {
  const lastStart = shown.length - 4;
  let next = 0; // the first window start not looked up yet
  for (let at = 0; at < shown.length; at++) {
    if (IS_MARKER_UNIT[shown.charCodeAt(at)] === 0) continue;
    const last = Math.min(at, lastStart);
    for (let i = Math.max(next, at - 3); i <= last; i++) {
      const window = shown.slice(i, i + 4);
      if (windows.has(window)) {
        expect.fail(`a 4-character fragment of a value was shown: ${JSON.stringify(window)} at ${i}`);
      }
    }
    next = Math.max(next, last + 1);
  }
}

function fillerNames(count: number): string[] {
  return Array.from({ length: count - 1 }, (_, i) => `FILLER_${i}`);
}

async function runScenario(
  scenario: Scenario,
  c: Canary,
  fillerValue: string,
  count: number,
  declareFillers: boolean,
): Promise<void> {
  const built = scenario.build(c);
  const fillers = fillerNames(count);
  const raw: Record<string, string> = { [TARGET]: built.value };
  fillers.forEach((name, i) => (raw[name] = `${fillerValue}${i}`));
  const schema = built.schema(declareFillers ? fillers : []);
  const outcome = await Promise.resolve()
    .then(() => validateSecrets(schema, raw, { project: 'p', config: 'c' }))
    .catch((error: unknown) => error);
  const windows = leakWindows([...built.leakSources, `${fillerValue}0`, fillerValue]);

  if (built.expected === 'config') {
    expect(outcome).toBeInstanceOf(DopplerConfigurationError);
    expect((outcome as DopplerConfigurationError).code).toBe('DOPPLER_INVALID_OPTIONS');
    expectNoLeak(everythingShown(outcome), windows);
    return;
  }
  const targetValid = built.expected === 'valid';
  if (targetValid && (!declareFillers || fillers.length === 0)) {
    expect(outcome).not.toBeInstanceOf(Error);
    return;
  }
  expect(outcome).toBeInstanceOf(SecretsValidationError);
  const error = outcome as SecretsValidationError;
  expect(error.code).toBe('DOPPLER_SECRETS_INVALID');
  expect(error.cause).toBeUndefined();
  expectNoLeak(everythingShown(error), windows);
  expectNoLeak(JSON.stringify(error.issues), windows);
  expect(error.issues.length).toBeLessThanOrEqual(100);
  for (const issue of error.issues) {
    for (const rule of issue.constraints) {
      expect(rule.message.length).toBeLessThanOrEqual(301);
      const thrown = /threw (.*)$/.exec(rule.message)?.[1];
      if (thrown !== undefined) expect(thrown).toMatch(/^(?:[A-Z][A-Za-z]*Error|an? [a-z ]+|undefined)$/);
    }
  }
  if (typeof built.expected === 'object') {
    const { constraint, keyPrefix } = built.expected;
    const target = error.issues.find((i) =>
      keyPrefix === undefined ? i.key === TARGET : i.key.startsWith(keyPrefix),
    );
    expect(target?.constraints.map((r) => r.constraint)).toContain(constraint);
  }
  if (declareFillers) {
    expect(error.issues.length + error.unlistedIssues).toBeGreaterThanOrEqual(Math.min(fillers.length, 100));
  }
}

describe('what a failed validation shows, property-based', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    '%s: values or a typed error, and no 4-character fragment of a value anywhere',
    async (_name, scenario) => {
      await fc.assert(
        fc.asyncProperty(canary, chunk, keyCount, fc.boolean(), async (c, filler, count, declare) => {
          await runScenario(scenario, c, filler, count, declare);
        }),
        // 8 per scenario: the scenario (its schema, its transform) runs every time; the big inputs
        // (10,000 keys 1 run in 24, a 1 MiB value 1 in 48) go through the same masking whatever
        // the scenario, so the 104 runs of the 13 still meet about 4 and 2 of them.
        { numRuns: 8 },
      );
    },
    180_000,
  );

  it('the leak check fails where a window of a value shows, exactly where looking up every window does', () => {
    // The control of the oracle: the first leaking window as found by sliding over every position.
    const slidingLeak = (shown: string, windows: ReadonlySet<string>): string | undefined => {
      for (let i = 0; i + 4 <= shown.length; i++) {
        const window = shown.slice(i, i + 4);
        if (windows.has(window)) return `${JSON.stringify(window)} at ${i}`;
      }
      return undefined;
    };
    const verdict = (shown: string, windows: ReadonlySet<string>): string | undefined => {
      try {
        expectNoLeak(shown, windows);
        return undefined;
      } catch (error) {
        return /fragment of a value was shown: (.*)$/s.exec((error as Error).message)?.[1] ?? 'other';
      }
    };
    const text = fc
      .array(fc.oneof(fc.constantFrom(...SPECIALS, 'a', '*', ','), markerRun, chunk), { maxLength: 12 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(
        fc.array(chunk, { minLength: 1, maxLength: 3 }),
        text,
        text,
        fc.nat(),
        (values, before, after, pick) => {
          const windows = leakWindows(values);
          // A window planted anywhere, even at either end, is found.
          const planted = [...windows][pick % windows.size] ?? '';
          const texts = [`${before}${after}`, `${before}${planted}${after}`, planted, `${planted}${after}`];
          const found = texts.map((shown) => verdict(shown, windows));
          expect(found).toEqual(texts.map((shown) => slidingLeak(shown, windows)));
          expect(found.slice(1)).not.toContain(undefined);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the class-transformer transforms of the menu really throw for generated values', () => {
    // Keeps the menu honest: these scenarios are about transforms that throw.
    const c: Canary = { chunks: ['Ж"\\\n'], size: 8 };
    for (const scenario of SCENARIOS.slice(0, 2)) {
      const schema = scenario.build(c).schema([]) as Type<object>;
      expect(() => plainToInstance(schema, { [TARGET]: scenario.build(c).value })).toThrow();
    }
  });
});
