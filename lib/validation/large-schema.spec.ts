import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  getMetadataStorage,
  IsInt,
  IsString,
  MinLength,
  Validate,
  validateSync,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { describe, expect, it } from 'vitest';
import { SecretsValidationError } from '../errors/secrets-validation.error.js';
import { validateSecretsSync } from './validate-secrets.js';

// Sets past the size that is transformed in parts (256 keys), so keys of different parts meet.
const KEYS = 700;
const name = (i: number): string => `KEY_${String(i).padStart(4, '0')}`;

/** One key in ten a number, the others strings of at least 8 characters; KEY_0005 reads KEY_0650. */
function largeSchema(): { schema: new () => object; values: Record<string, string>; log: string[] } {
  const log: string[] = [];
  class Large {
    constructor() {
      log.push('constructed');
    }
  }
  const proto = Large.prototype;
  const values: Record<string, string> = {};
  for (let i = 0; i < KEYS; i++) {
    const key = name(i);
    if (i === 5) {
      // A transform that reads another key (in another part) and lists the object it was given.
      Transform(({ value, obj }: { value: string; obj: Record<string, string> }) => {
        log.push(`has KEY_0650: ${'KEY_0650' in obj}`);
        return `${value}+${obj['KEY_0650']}`;
      })(proto, key);
      IsString()(proto, key);
    } else if (i === 600) {
      // A setter: called once, as in one pass.
      Object.defineProperty(proto, key, {
        set(this: Record<string, unknown>, v: string) {
          log.push('set');
          Object.defineProperty(this, key, { value: v.toUpperCase(), enumerable: true, writable: true });
        },
        configurable: true,
      });
      IsString()(proto, key);
    } else if (i % 10 === 0) {
      Type(() => Number)(proto, key);
      IsInt()(proto, key);
    } else {
      IsString()(proto, key);
      MinLength(8)(proto, key);
    }
    values[key] = i % 10 === 0 && i !== 600 ? String(i) : `value-${i}-xxxxxxxx`;
  }
  return { schema: Large, values, log };
}

describe('a schema of hundreds of keys (transformed in parts, constraint instances kept)', () => {
  it('gives what one plainToInstance + validateSync pass gives: values, transforms across parts, setters and constructor once', () => {
    const { schema, values, log } = largeSchema();
    // The first validation checks the class once (constructing it): not part of the comparison.
    validateSecretsSync(schema, values);
    log.splice(0);
    const whole = plainToInstance(schema, values, { exposeDefaultValues: true }) as Record<string, unknown>;
    expect(validateSync(whole)).toEqual([]);
    const wholeLog = log.splice(0);

    const validated = validateSecretsSync(schema, values);
    expect(validated).toEqual({ ...whole });
    expect(validated['KEY_0005']).toBe('value-5-xxxxxxxx+650');
    expect(validated['KEY_0010']).toBe(10);
    expect(validated['KEY_0600']).toBe('VALUE-600-XXXXXXXX');
    expect(log).toEqual(wholeLog);
    expect(log.filter((entry) => entry === 'constructed')).toHaveLength(1);
    expect(log.filter((entry) => entry === 'set')).toHaveLength(1);
    expect(log).toContain('has KEY_0650: true');
  });

  it('reports every failing key of every part at once, the first 100 listed and the rest counted, no value shown', () => {
    const { schema, values } = largeSchema();
    const bad = { ...values };
    // 150 failures spread over all three parts: too short, not a number, missing.
    for (let i = 1; i < KEYS; i += 5) if (i % 10 !== 0 && i !== 5 && i !== 600) bad[name(i)] = 'short';
    for (let i = 20; i < KEYS; i += 100) bad[name(i)] = 'not-a-number';
    delete bad[name(699)];
    const failing = new Set(
      Object.keys(values).filter((k) => bad[k] === 'short' || bad[k] === 'not-a-number' || !(k in bad)),
    );
    expect(failing.size).toBeGreaterThan(100);

    let error: unknown;
    try {
      validateSecretsSync(schema, bad);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SecretsValidationError);
    const invalid = error as SecretsValidationError;
    expect(invalid.issues).toHaveLength(100);
    expect(invalid.issues.length + invalid.unlistedIssues).toBe(failing.size);
    for (const issue of invalid.issues) expect(failing.has(issue.key)).toBe(true);
    expect(invalid.issues.find((i) => i.key === name(20))?.constraints.map((c) => c.constraint)).toEqual([
      'isInt',
    ]);
    expect(invalid.issues.find((i) => i.key === name(1))?.constraints[0]?.message).toBe(
      'must be longer than or equal to 8 characters',
    );
    expect(invalid.message).toContain(`and ${invalid.unlistedIssues} more`);
    expect(invalid.message).not.toContain('not-a-number');
    expect(invalid.message).not.toContain('value-');
  });

  it("leaves the app's own constraint classes to class-validator's container", () => {
    @ValidatorConstraint({ name: 'even' })
    class Even implements ValidatorConstraintInterface {
      validate(value: unknown): boolean {
        return Number(value) % 2 === 0;
      }
    }
    class WithOwnConstraint {
      @Validate(Even)
      EVEN!: string;

      @IsString()
      NAME!: string;
    }
    expect(validateSecretsSync(WithOwnConstraint, { EVEN: '4', NAME: 'n' })).toEqual({
      EVEN: '4',
      NAME: 'n',
    });
    expect(() => validateSecretsSync(WithOwnConstraint, { EVEN: '3', NAME: 'n' })).toThrow(
      SecretsValidationError,
    );
    const storage = getMetadataStorage();
    const own = storage.getTargetValidatorConstraints(Even);
    expect(own.length).toBeGreaterThan(0);
    for (const constraint of own)
      expect(Object.prototype.hasOwnProperty.call(constraint, 'instance')).toBe(false);
    const rules = storage.getTargetValidationMetadatas(WithOwnConstraint, '', false, false);
    const generated = rules.find((rule) => rule.propertyName === 'NAME')?.constraintCls;
    for (const constraint of storage.getTargetValidatorConstraints(generated as () => void)) {
      expect(Object.prototype.hasOwnProperty.call(constraint, 'instance')).toBe(true);
    }
  });
});
