import { ConsoleLogger, type ConsoleLoggerOptions } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CANARY_CHAR,
  MAX_VALUE_SIZE,
  recordOf,
  secretOfSize,
  smallSecret,
  visibleForms,
} from '../../test/support/secret-canaries.js';
import type { SecretsMetadata } from '../interfaces/secrets-metadata.interface.js';
import { SECRET_MASK } from '../secret.js';
import { SecretsService, stateOf } from '../secrets.service.js';
import { DopplerLogger } from './doppler-logger.js';

const CANARY = 'canary-logger-key-93b1d7e5';
const ROTATED = 'canary-rotated-key-1c8f42aa';
// Long enough that inspect splits it into `'...\n' +` pieces inside an object.
const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\'q"x',
  '-----END PRIVATE KEY-----',
].join('\n');
const PEM_LINE = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj';
const metadata: SecretsMetadata = { source: 'static', fetchedAt: new Date() };

class Holder {
  constructor(readonly credential: string) {}
}

let written: string[] = [];
beforeEach(() => {
  written = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

function secrets(): SecretsService {
  return new SecretsService({ API_KEY: CANARY, PEM }, metadata);
}

function output(): string {
  return written.join('');
}

/** Every way the logger is fed a value, each tagged so its line can be found. */
function logEverything(logger: ConsoleLogger, value: string): void {
  logger.log(`m1 ${value}`);
  logger.warn({ m2: 'object', nested: { list: [value, { deeper: value }] } });
  logger.debug(['m3', value]);
  logger.verbose(() => `m4 lazy ${value}`);
  logger.fatal(new Error(`m5 ${value}`));
  logger.error(`m6 ${value}`, new Error(`m6-stack ${value}`).stack, `Ctx-${value}`);
  logger.log('m7 params', { token: value, deep: { token: value } }, 'Params');
  logger.error(new Error('m8 outer', { cause: new Error(`m8 cause ${value}`) }));
  logger.log(new Map([['m9', value]]));
  logger.log(new Set(['m10', value]));
  logger.log(new Holder(value));
}

describe('DopplerLogger', () => {
  it('is a ConsoleLogger, injectable with the SecretsService', async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [DopplerLogger, { provide: SecretsService, useValue: secrets() }],
    }).compile();
    const logger = moduleRef.get(DopplerLogger);
    expect(logger).toBeInstanceOf(ConsoleLogger);
    logger.log(`via DI ${CANARY}`);
    expect(output()).toContain(`via DI ${SECRET_MASK}`);
    expect(output()).not.toContain(CANARY);
  });

  it('refuses to be built by DI without a SecretsService rather than masking nothing', async () => {
    await expect(Test.createTestingModule({ providers: [DopplerLogger] }).compile()).rejects.toThrow(
      /DopplerLogger/,
    );
  });

  it('accepts a typed SecretsService', () => {
    class Typed {
      API_KEY!: string;
    }
    const typed = new SecretsService<Typed>({ API_KEY: CANARY }, metadata);
    new DopplerLogger(typed, 'Typed', { colors: false }).log(CANARY);
    expect(output()).toContain(`[Typed] ${SECRET_MASK}`);
  });

  for (const [mode, options] of [
    ['text', { colors: false }],
    ['text with colours', { colors: true }],
    ['JSON', { json: true }],
    ['JSON with colours (inspected)', { json: true, colors: true }],
    ['JSON, not compact (inspected)', { json: true, compact: false }],
  ] as Array<[string, ConsoleLoggerOptions]>) {
    it(`masks every kind of message in ${mode} mode, and a plain ConsoleLogger would not`, () => {
      logEverything(new ConsoleLogger('Plain', options), CANARY);
      const plain = output();
      // The control: each line really carried the value.
      expect(plain.split(CANARY).length - 1).toBeGreaterThanOrEqual(14);
      written = [];

      logEverything(new DopplerLogger(secrets(), 'Masked', options), CANARY);
      const masked = output();
      expect(masked).not.toContain(CANARY);
      expect(masked).not.toContain('canary');
      for (let tag = 1; tag <= 10; tag++) expect(masked).toContain(`m${tag}`);
      // Where the value was, the mask is: at least as often.
      expect(masked.split(SECRET_MASK).length).toBeGreaterThanOrEqual(plain.split(CANARY).length);
    });
  }

  it('masks a multi-line value that inspect splits into pieces', () => {
    const options = { colors: true, compact: false, breakLength: 80 } as const;
    new ConsoleLogger(options).log({ nested: { key: PEM } });
    expect(output()).toMatch(/ \+(\x1b\[\d+m)?\n/); // inspect did split it into pieces
    expect(output()).toContain(PEM_LINE);
    written = [];

    new DopplerLogger(secrets(), undefined, options).log({ nested: { key: PEM }, error: new Error(PEM) });
    expect(output()).not.toContain(PEM_LINE);
    expect(output()).toContain(SECRET_MASK);
  });

  it('masks a value that maxStringLength would cut into a prefix', () => {
    new ConsoleLogger({ maxStringLength: 12, colors: false }).log({ key: CANARY });
    expect(output()).toContain(CANARY.slice(0, 12));
    written = [];
    new DopplerLogger(secrets(), undefined, { maxStringLength: 12, colors: false }).log({ key: CANARY });
    expect(output()).not.toContain(CANARY.slice(0, 12));
  });

  it('copies what it masks: cycles stay cycles, the logged objects are untouched', () => {
    const node: Record<string, unknown> = { key: CANARY, list: [CANARY] };
    node['self'] = node;
    (node['list'] as unknown[]).push(node);
    const error = new Error(`boom ${CANARY}`);
    new DopplerLogger(secrets(), undefined, { colors: false }).log(node);
    new DopplerLogger(secrets(), undefined, { json: true }).error(error);
    expect(output()).toContain('[Circular');
    expect(output()).not.toContain(CANARY);
    expect(node['key']).toBe(CANARY);
    expect(error.message).toBe(`boom ${CANARY}`);
    expect(error.stack).toContain(CANARY);
  });

  it('keeps the Error class for JSON mode and masks its serialised fields', () => {
    class PaymentError extends Error {
      override name = 'PaymentError';
      readonly code = `CODE-${CANARY}`;
    }
    new DopplerLogger(secrets(), 'Pay', { json: true }).error(new PaymentError(`declined ${CANARY}`));
    const record = JSON.parse(output()) as { message: string; error: Record<string, string> };
    expect(record.message).toBe(`declined ${SECRET_MASK}`);
    expect(record.error).toMatchObject({
      name: 'PaymentError',
      message: `declined ${SECRET_MASK}`,
      code: `CODE-${SECRET_MASK}`,
    });
    expect(record.error['stack']).toContain(`PaymentError: declined ${SECRET_MASK}`);
  });

  it('keeps up with a refresh: the new value is masked from the next line on', () => {
    const service = secrets();
    const logger = new DopplerLogger(service, undefined, { colors: false });
    logger.log(`before ${CANARY}`);
    stateOf(service).apply({
      values: { API_KEY: ROTATED, PEM },
      metadata,
      raw: { API_KEY: ROTATED, PEM },
      rawForms: [],
    });
    logger.log(`after ${ROTATED}`);
    expect(service.get('API_KEY').reveal()).toBe(ROTATED);
    expect(output()).toContain(`before ${SECRET_MASK}`);
    expect(output()).toContain(`after ${SECRET_MASK}`);
    expect(output()).not.toContain(ROTATED);
  });

  it('before any secret exists, prints like a ConsoleLogger', () => {
    const logger = new DopplerLogger(undefined, 'Early', { colors: false });
    logger.log(`nothing to mask ${CANARY}`);
    logger.error('failed', new Error('x').stack);
    expect(output()).toContain(`[Early] nothing to mask ${CANARY}`);
    expect(output()).toContain('Error: x');
  });

  it('never throws on a value it cannot read: that value is masked whole', () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const trap = new Proxy(
      { key: CANARY },
      {
        ownKeys: () => {
          throw new Error(CANARY);
        },
      },
    );
    for (const options of [{ colors: false }, { json: true }]) {
      const logger = new DopplerLogger(secrets(), 'Odd', options);
      expect(() => logger.log({ revoked: revoked.proxy, trap, key: CANARY })).not.toThrow();
      expect(() => logger.log(trap)).not.toThrow();
    }
    expect(output()).toContain(SECRET_MASK);
    expect(output()).not.toContain(CANARY);
  });

  it('leaves the level filter and the key-based redact option working', () => {
    const logger = new DopplerLogger(secrets(), undefined, {
      colors: false,
      logLevels: ['error'],
      redact: ['password'],
    });
    logger.log(`hidden ${CANARY}`);
    logger.error({ password: 'hunter2', key: CANARY });
    expect(output()).not.toContain('hidden');
    expect(output()).toContain('[REDACTED]');
    expect(output()).toContain(SECRET_MASK);
    expect(output()).not.toContain(CANARY);
  });
});

describe('DopplerLogger over generated secrets', () => {
  const MODES: Array<[string, ConsoleLoggerOptions]> = [
    ['text', { colors: false }],
    ['text with colours', { colors: true }],
    // Lines broken at 80 characters: inspect breaks multi-line strings into pieces.
    ['text, broken lines', { colors: true, compact: false, breakLength: 80 }],
    // Strings cut short: what inspect keeps of a value must be masked too.
    ['text, strings cut at 12', { colors: false, maxStringLength: 12 }],
    ['JSON', { json: true }],
    ['JSON, not compact', { json: true, compact: false }],
  ];

  /** Each value logged every way a line can carry it: as message, nested, in an Error, a Map, params, a class. */
  function logEach(logger: ConsoleLogger, values: readonly unknown[]): void {
    values.forEach((value, i) => {
      logger.log(typeof value === 'string' ? `line-${i} ${value}` : value);
      logger.warn({ tag: `nested-${i}`, deep: { value, list: [value] } });
      const text = typeof value === 'string' ? value : inspect(value);
      logger.error(new Error(`error-${i} ${text}`, { cause: new Error(text) }));
      logger.log(
        new Map<string, unknown>([
          [`map-${i}`, value],
          ['held', new Holder(value as string)],
        ]),
      );
      logger.log(`params-${i}`, { value });
      logger.log(new Holder(value as string));
    });
  }

  function service(values: readonly unknown[]): SecretsService {
    return new SecretsService(recordOf(values), metadata);
  }

  /**
   * The ways that reach each part of the masking for a large value, and no more (every line
   * of a 1 MiB value costs megabytes of scanning): plain, nested, a class instance inspect
   * prints (broken into pieces or cut), and inside a Map (inspect output in a JSON record).
   */
  function logLarge(logger: ConsoleLogger, values: readonly unknown[]): void {
    values.forEach((value, i) => {
      logger.log(`line-${i} ${String(value)}`);
      logger.warn({ tag: `nested-${i}`, deep: { value } });
      logger.log(new Holder(value as string));
      logger.log(`params-${i}`, { held: new Map([['held', new Holder(value as string)]]) });
    });
  }

  /** Logs through DopplerLogger in each mode (every mode by default); returns what each mode wrote. */
  function everyMode(values: readonly unknown[], modes = MODES, log = logEach): Array<[string, string]> {
    const secrets = service(values);
    return modes.map(([mode, options]) => {
      written = [];
      log(new DopplerLogger(secrets, 'Gen', options), values);
      return [mode, output()];
    });
  }

  it('shows nothing of any value in text and JSON mode, where a ConsoleLogger would', () => {
    fc.assert(
      fc.property(fc.array(smallSecret, { minLength: 1, maxLength: 6 }), (values) => {
        const marked = values.flatMap(visibleForms).some((form) => form.includes(CANARY_CHAR));
        written = [];
        logEach(new ConsoleLogger('Plain', { colors: false }), values);
        expect(output().includes(CANARY_CHAR), 'the control: a ConsoleLogger prints the values').toBe(marked);
        for (const [mode, text] of everyMode(values)) {
          expect(text.includes(CANARY_CHAR), `${mode}: part of a secret shows`).toBe(false);
          expect(text).toContain(`params-${values.length - 1}`);
        }
      }),
      { numRuns: 30 },
    );
  }, 60_000);

  it('shows nothing of values up to 1 MiB in text and JSON mode', () => {
    fc.assert(
      fc.property(secretOfSize(fc.integer({ min: 0, max: MAX_VALUE_SIZE })), (value) => {
        for (const [mode, text] of everyMode([value, 'canary-logger-small-9c1d'], MODES, logLarge)) {
          expect(text.includes(CANARY_CHAR), `${mode}: part of a secret shows`).toBe(false);
          expect(text.includes('canary-logger-small-9c1d'), `${mode}: a value shows`).toBe(false);
        }
      }),
      { numRuns: 2 },
    );
  }, 120_000);

  it('logs and masks a 27 KB and a 1 MiB value, where one regular expression of all values threw', () => {
    for (const size of [27 * 1024, MAX_VALUE_SIZE]) {
      const pem = `-----BEGIN CERTIFICATE-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cK\n'.repeat(size / 64)}`;
      const textAndJson = MODES.filter(([mode]) => mode === 'text' || mode === 'JSON');
      for (const [mode, text] of everyMode([pem, CANARY], textAndJson)) {
        expect(text, mode).toContain('params-1');
        expect(text.includes('MIIE'), `${mode}: the value shows`).toBe(false);
        expect(text.includes(CANARY), `${mode}: the other value shows`).toBe(false);
      }
    }
  }, 60_000);
});
