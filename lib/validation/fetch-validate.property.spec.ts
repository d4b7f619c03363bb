import fc from 'fast-check';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MinLength,
} from 'class-validator';
import type { Type as Class } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { DopplerError } from '../errors/doppler.errors.js';
import { parseSecretsPayload } from '../client/parse-secrets-payload.js';
import { validateSecretsSync as validateSecrets } from './validate-secrets.js';
import { everythingShown } from '../../test/support/everything-shown.js';

/** Every generated value carries this marker, so a leak is visible whatever else it holds. */
const MARK = 'CNRY';

type Rule = (target: object, key: string) => void;

// A menu of the decorators people put on secrets, several with messages that quote $value.
const RULES: ReadonlyArray<readonly Rule[]> = [
  [IsString()],
  [Type(() => Number), IsInt(), Max(65535)],
  [IsUrl({ require_tld: false }, { message: '$property must be a URL, got $value' })],
  [IsString(), MinLength(30, { message: (a) => `${a.property} too short: ${String(a.value)}` })],
  [IsIn(['a', 'b'], { message: 'expected a or b, not "$value"' })],
  [IsOptional(), IsString()],
  [Transform(({ value }: { value: unknown }) => value === 'true'), IsBoolean()],
  [Matches(/^sk_[a-z0-9]+$/)],
];

const secretValue = fc.string({ maxLength: 40 }).map((s) => `${MARK}${s}`);
const name = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,11}$/);

function schemaFrom(rules: ReadonlyArray<readonly [string, number]>): Class<object> {
  class Generated {}
  for (const [key, rule] of rules) {
    for (const decorate of RULES[rule] ?? []) decorate(Generated.prototype, key);
  }
  return Generated;
}

function assertNoLeak(error: unknown, values: readonly string[]): void {
  expect(error).toBeInstanceOf(DopplerError);
  const e = error as DopplerError;
  const text = everythingShown(e);
  // Only generated values (marked, longer than the mark) count as a leak; `a` or `443` may be
  // legitimately present in a rule's own text. One assertion for all: the values that show.
  expect(
    values.filter((value) => value.startsWith(MARK) && value.length > MARK.length && text.includes(value)),
  ).toEqual([]);
}

describe('fetch-validate path, property-based', () => {
  it('any payload text parses to a flat string map or fails with a typed error that quotes nothing', () => {
    const body = fc.oneof(
      fc.json(),
      fc
        .dictionary(name, fc.oneof(secretValue, fc.integer(), fc.boolean(), fc.constant(null)))
        .map((o) => JSON.stringify(o)),
      fc.dictionary(name, secretValue).map((o) => JSON.stringify(o).slice(0, -3)),
      fc.string().map((s) => `${MARK}${s}`),
    );
    fc.assert(
      fc.property(body, (text) => {
        try {
          const parsed = parseSecretsPayload(text, 'application/json');
          expect(Object.values(parsed).filter((value) => typeof value !== 'string')).toEqual([]);
        } catch (error) {
          expect((error as DopplerError).code).toBe('DOPPLER_MALFORMED_RESPONSE');
          // Generated values are the marked fragments; structural text such as `false` is not a value.
          assertNoLeak(error, text.match(/CNRY[^"]*/g) ?? []);
        }
      }),
      // Four shapes of body; 1000 runs draw each a few hundred times (more only redraws them).
      { numRuns: 1000 },
    );
  }, 60_000);

  it('any payload against any schema yields a valid snapshot or a SecretsValidationError without values', () => {
    const rules = fc.uniqueArray(fc.tuple(name, fc.integer({ min: 0, max: RULES.length - 1 })), {
      selector: ([key]) => key,
      maxLength: 6,
    });
    const payload = fc.dictionary(
      fc.oneof(name, fc.constantFrom('__proto__', 'constructor', 'DOPPLER_PROJECT')),
      fc.oneof(secretValue, fc.constantFrom(`${MARK}8080`, `${MARK}true`, 'true', '443', 'a', '')),
    );
    fc.assert(
      fc.property(rules, payload, (ruleList, raw) => {
        const schema = schemaFrom(ruleList);
        const declared = new Set(ruleList.map(([key]) => key));
        try {
          const values = validateSecrets(schema, raw, { project: 'p', config: 'c' });
          expect(Object.keys(values).filter((key) => !declared.has(key))).toEqual([]);
        } catch (error) {
          // A class with no decorator at all is a schema mistake, refused before any value is read.
          const expected = ruleList.length === 0 ? 'DOPPLER_INVALID_OPTIONS' : 'DOPPLER_SECRETS_INVALID';
          expect((error as DopplerError).code).toBe(expected);
          assertNoLeak(error, Object.values(raw));
        }
      }),
      // Up to 6 keys from a menu of 8 rules: 500 runs put each rule in about 200 schemas and each
      // special key (__proto__, constructor, DOPPLER_PROJECT) in well over 100 payloads. Each run
      // defines a class, and class-validator walks every class it knows on each validation, so
      // runs cost more the more there were: more of them only redraw the same combinations.
      { numRuns: 500 },
    );
  }, 60_000);
});
