import { Transform, Type } from 'class-transformer';
import {
  Allow,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  MinLength,
  Validate,
  ValidateBy,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { describe, expect, it } from 'vitest';
import { DopplerConfigurationError, DopplerError } from '../errors/doppler.errors.js';
import { everythingShown } from '../../test/support/everything-shown.js';
import { SecretsValidationError } from '../errors/secrets-validation.error.js';
import { validateSecretsSync as validateSecrets } from './validate-secrets.js';

const CANARY = 'CANARY-7d3e-value';

function failure(run: () => unknown): DopplerError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DopplerError);
    return error as DopplerError;
  }
  throw new Error('expected a DopplerError');
}

/** Runs `run`, then lets the promises it left settle: none may end in an unhandled rejection. */
async function expectNoUnhandledRejection(run: () => void): Promise<void> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    run();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}

function validationFailure(run: () => unknown): SecretsValidationError {
  const error = failure(run);
  expect(error).toBeInstanceOf(SecretsValidationError);
  expect(error.code).toBe('DOPPLER_SECRETS_INVALID');
  expect(everythingShown(error)).not.toContain(CANARY.slice(0, 10));
  expect(JSON.stringify((error as SecretsValidationError).issues)).not.toContain(CANARY.slice(0, 10));
  expect(error.cause).toBeUndefined();
  return error as SecretsValidationError;
}

describe('class-validator schemas whose own code throws', () => {
  class UrlAndJson {
    @Transform(({ value }: { value: string }) => new URL(value))
    @Allow()
    SERVICE_URL!: URL;

    @Transform(({ value }: { value: string }) => JSON.parse(value) as unknown)
    @Allow()
    FLAGS!: unknown;

    @IsUrl()
    WEBHOOK!: string;

    @IsString()
    NAME!: string;
  }

  it('names the key whose transform threw (new URL, JSON.parse), and still validates the others', () => {
    const error = validationFailure(() =>
      validateSecrets(UrlAndJson, {
        SERVICE_URL: `not a url ${CANARY}`,
        FLAGS: `{"on": ${CANARY}`,
        WEBHOOK: `nope ${CANARY}`,
      }),
    );
    expect(error.issues).toEqual([
      {
        key: 'SERVICE_URL',
        missing: false,
        constraints: [{ constraint: 'transform', message: 'its transform threw TypeError' }],
      },
      {
        key: 'FLAGS',
        missing: false,
        constraints: [{ constraint: 'transform', message: 'its transform threw SyntaxError' }],
      },
      {
        key: 'WEBHOOK',
        missing: false,
        constraints: [{ constraint: 'isUrl', message: 'must be a URL address' }],
      },
      { key: 'NAME', missing: true, constraints: [{ constraint: 'isString', message: 'must be a string' }] },
    ]);
  });

  it('passes valid values through the same transforms', () => {
    const values = validateSecrets(UrlAndJson, {
      SERVICE_URL: 'https://api.example.com/v1',
      FLAGS: '{"on": true}',
      WEBHOOK: 'https://hooks.example.com',
      NAME: 'shop',
    });
    expect(values['SERVICE_URL']).toBeInstanceOf(URL);
    expect(values['FLAGS']).toEqual({ on: true });
  });

  it('says only what kind of thing was thrown when it is not an error', () => {
    class ThrowsValue {
      @Transform(({ value }: { value: string }) => {
        throw { value, message: value } as unknown;
      })
      @IsString()
      TOKEN!: string;

      @Transform(({ value }: { value: string }) => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- what this test is about
        throw value;
      })
      @IsString()
      OTHER!: string;
    }
    const error = validationFailure(() => validateSecrets(ThrowsValue, { TOKEN: CANARY, OTHER: CANARY }));
    expect(error.issues.map((i) => [i.key, i.constraints[0]?.message])).toEqual([
      ['TOKEN', 'its transform threw an object'],
      ['OTHER', 'its transform threw a string'],
    ]);
  });

  it('does not print an error class name that is not shaped like one', () => {
    class Odd extends Error {}
    Object.defineProperty(Odd, 'name', { value: CANARY });
    class ThrowsOdd {
      @Transform(() => {
        throw new Odd(CANARY);
      })
      @IsString()
      KEY!: string;
    }
    const error = validationFailure(() => validateSecrets(ThrowsOdd, { KEY: 'x' }));
    expect(error.issues[0]?.constraints[0]?.message).toBe('its transform threw an error');
  });

  it('reports a transform that overflows the stack', () => {
    const recurse = (n: number): number => recurse(n + 1) + 1;
    class Recursive {
      @Transform(() => recurse(0))
      @IsInt()
      DEPTH!: number;
    }
    const error = validationFailure(() => validateSecrets(Recursive, { DEPTH: CANARY }));
    expect(error.issues[0]).toMatchObject({
      key: 'DEPTH',
      constraints: [{ constraint: 'transform', message: 'its transform threw RangeError' }],
    });
  });

  it('reports the class as a whole when a transform throws only next to another key', () => {
    class Coupled {
      @Transform(({ obj }: { obj: Record<string, string> }) => {
        if (obj['B'] !== undefined) throw new TypeError(obj['B']);
        return 'a';
      })
      @IsString()
      A!: string;

      @IsString()
      B!: string;
    }
    const error = validationFailure(() => validateSecrets(Coupled, { A: 'x', B: CANARY }));
    expect(error.issues).toEqual([
      {
        key: '(all)',
        missing: false,
        constraints: [
          { constraint: 'transform', message: 'a transform (or a setter) of the class threw TypeError' },
        ],
      },
    ]);
  });

  it('names the key whose custom validator, message function or toString threw', () => {
    @ValidatorConstraint({ name: 'explodes' })
    class Explodes implements ValidatorConstraintInterface {
      validate(value: unknown): boolean {
        throw new RangeError(String(value));
      }
    }
    class Hostile {
      @Validate(Explodes)
      A!: string;

      @MinLength(100, {
        message: (args: ValidationArguments) => {
          throw new Error(String(args.value));
        },
      })
      B!: string;

      @Transform(() => ({
        toString(): string {
          throw new EvalError(CANARY);
        },
      }))
      @IsInt({ message: (args: ValidationArguments) => `got ${String(args.value)}` })
      C!: number;

      @IsInt()
      D!: number;
    }
    const error = validationFailure(() =>
      validateSecrets(Hostile, { A: CANARY, B: CANARY, C: CANARY, D: CANARY }),
    );
    expect(
      error.issues.map((i) => [i.key, i.constraints.map((c) => `${c.constraint}: ${c.message}`)]),
    ).toEqual([
      ['A', ['validator: a validator (or its message) threw RangeError']],
      ['B', ['validator: a validator (or its message) threw an error']],
      ['C', ['validator: a validator (or its message) threw EvalError']],
      ['D', ['isInt: must be an integer number']],
    ]);
  });

  it('shows no message that quotes a value class-validator rewrites ("$" sequences), and no piece of it', () => {
    // class-validator puts the value in with String.prototype.replace, then replaces $property and
    // $target over the result: each sequence below splits the value into pieces shorter than what
    // is masked, with other text between them.
    const sequences = ['$$', '$&', '$`', "$'", '$value', '$property', '$target'];
    class Quoting {
      @MinLength(100, { message: 'is short: $value' })
      TEMPLATE!: string;

      @MinLength(100, { message: (a: ValidationArguments) => `"${String(a.value)}" is short` })
      FUNCTION!: string;
    }
    for (const sequence of sequences) {
      const value = `Жq1${sequence}Щq2${sequence}ψq3`;
      const error = validationFailure(() => validateSecrets(Quoting, { TEMPLATE: value, FUNCTION: value }));
      expect(error.issues.map((i) => [i.key, i.constraints.map((c) => c.message)])).toEqual([
        ['TEMPLATE', [expect.stringMatching(/^is invalid \(its message is not shown/)]],
        ['FUNCTION', [expect.stringMatching(/^is invalid \(its message is not shown/)]],
      ]);
      const shown = everythingShown(error);
      for (const piece of ['Жq1', 'Щq2', 'ψq3']) expect(shown, sequence).not.toContain(piece);
    }
    // A list the transform split the value into: a rule's own message quotes an element.
    @ValidatorConstraint({ name: 'noElements' })
    class NoElements implements ValidatorConstraintInterface {
      validate(): boolean {
        return false;
      }
      defaultMessage(args: ValidationArguments): string {
        return `has "${String((args.value as string[])[0])}"`;
      }
    }
    class Split {
      @Transform(({ value }: { value: string }) => value.split(','))
      @Validate(NoElements)
      LIST!: string[];
    }
    const split = validationFailure(() => validateSecrets(Split, { LIST: 'Жq1$propertyЩq2,ψq3' }));
    expect(split.issues[0]?.constraints.map((c) => c.message)).toEqual([
      expect.stringMatching(/^is invalid \(its message is not shown/),
    ]);
    for (const piece of ['Жq1', 'Щq2']) expect(everythingShown(split)).not.toContain(piece);

    // A "$" that class-validator leaves alone: the message stays, the value masked in it.
    const plain = validationFailure(() =>
      validateSecrets(Quoting, { TEMPLATE: 'Жq1$Щq2$ψq3', FUNCTION: 'Жq1$Щq2$ψq3' }),
    );
    expect(plain.issues.map((i) => i.constraints.map((c) => c.message))).toEqual([
      ['is short: **********'],
      ['"**********" is short'],
    ]);
  });

  it('refuses a validator that answers with a promise, whatever it holds, without an unhandled rejection', async () => {
    await expectNoUnhandledRejection(() => {
      const answers: Record<string, (value: unknown) => Promise<boolean>> = {
        valid: () => Promise.resolve(true),
        invalid: () => Promise.resolve(false),
        rejected: (value) => Promise.reject(new Error(String(value))),
      };
      for (const [kind, validate] of Object.entries(answers)) {
        class PromisedCheck {
          @IsString()
          BEFORE!: string;

          @ValidateBy({ name: 'checkedLater', validator: { validate } })
          KEY!: string;
        }
        const error = failure(() => validateSecrets(PromisedCheck, { BEFORE: CANARY, KEY: CANARY }));
        expect(error, kind).toBeInstanceOf(DopplerConfigurationError);
        expect(error.message).toMatch(
          /^The validator "checkedLater" of "KEY" in PromisedCheck answered with a promise\. .*Make the validator synchronous/,
        );
        expect(everythingShown(error)).not.toContain(CANARY);
      }
    });
  });

  it('refuses a transform that returns a promise, without an unhandled rejection', async () => {
    await expectNoUnhandledRejection(() => {
      class AsyncTransform {
        @Transform(({ value }: { value: string }) => Promise.reject(new Error(value)))
        @IsString()
        KEY!: string;
      }
      const error = failure(() => validateSecrets(AsyncTransform, { KEY: CANARY }));
      expect(error).toBeInstanceOf(DopplerConfigurationError);
      expect(error.message).toMatch(/transform of "KEY" in AsyncTransform returned a promise/);
    });
  });
});

describe('schema class mistakes, refused before any value is read', () => {
  it('names properties that have no class-validator decorator', () => {
    class Undecorated {
      @IsString()
      DECLARED!: string;

      FORGOTTEN!: string;

      @Type(() => Number)
      ONLY_TRANSFORMED!: number;
    }
    const error = failure(() => validateSecrets(Undecorated, { DECLARED: 'x', FORGOTTEN: CANARY }));
    expect(error).toBeInstanceOf(DopplerConfigurationError);
    expect(error.message).toContain('Undecorated has properties without a class-validator decorator');
    expect(error.message).toContain('"FORGOTTEN", "ONLY_TRANSFORMED"');
    expect(error.message).toMatch(/@Allow\(\)/);
    expect(everythingShown(error)).not.toContain(CANARY);
  });

  it('accepts @IsOptional() and @Allow() as declarations', () => {
    class Minimal {
      @IsOptional()
      MAYBE?: string;

      @Allow()
      ANYTHING!: string;
    }
    expect(validateSecrets(Minimal, { ANYTHING: 'x' })).toEqual({ ANYTHING: 'x' });
  });

  it('says a class with no decorators declares nothing (not "undefined: is missing")', () => {
    class Empty {
      A!: string;
    }
    const error = failure(() => validateSecrets(Empty, { A: 'x' }));
    expect(error).toBeInstanceOf(DopplerConfigurationError);
    expect(error.message).toMatch(/The schema class Empty declares no secrets/);
    expect(error.message).not.toContain('undefined');
  });

  it('refuses asynchronous validators, which validateSync would skip', () => {
    @ValidatorConstraint({ name: 'checkedRemotely', async: true })
    class CheckedRemotely implements ValidatorConstraintInterface {
      validate(): Promise<boolean> {
        return Promise.resolve(false);
      }
    }
    class Remote {
      @Validate(CheckedRemotely)
      API_KEY!: string;
    }
    const error = failure(() => validateSecrets(Remote, { API_KEY: 'x' }));
    expect(error).toBeInstanceOf(DopplerConfigurationError);
    expect(error.message).toMatch(/asynchronous validators \("API_KEY" \(checkedRemotely\)\)/);
  });

  it('reports a constructor that throws as a schema mistake', () => {
    class NeedsArgs {
      @IsString()
      A!: string;

      constructor() {
        throw new Error(CANARY);
      }
    }
    const error = failure(() => validateSecrets(NeedsArgs, { A: 'x' }));
    expect(error).toBeInstanceOf(DopplerConfigurationError);
    expect(error.message).toMatch(
      /could not be constructed without arguments \(its constructor threw an error\)/,
    );
    expect(everythingShown(error)).not.toContain(CANARY);
  });
});
