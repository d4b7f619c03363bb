import fc from 'fast-check';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CANARY_CHAR,
  MAX_VALUE_SIZE,
  outputChannels,
  secretOfSize,
  smallSecret,
  visibleForms,
} from '../../test/support/secret-canaries.js';
import type { SecretsMetadata } from '../interfaces/secrets-metadata.interface.js';
import { SECRET_MASK } from '../secret.js';
import { SecretsService, stateOf } from '../secrets.service.js';
import { createRedactor, REDACT_MIN_LENGTH } from './redactor.js';

const CANARY = 'canary-api-key-4f1e9b';
const ROTATED = 'canary-rotated-key-8d2c7a';
const metadata: SecretsMetadata = { source: 'static', fetchedAt: new Date() };

function service(values: Record<string, unknown>): SecretsService {
  return new SecretsService(values, metadata);
}

function rotate(secrets: SecretsService, values: Record<string, unknown>): void {
  const raw = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
  stateOf(secrets).apply({ values, metadata, raw, rawForms: [] });
}

describe('SecretsService.redact', () => {
  it('masks every occurrence of a current value', () => {
    const secrets = service({ API_KEY: CANARY, OTHER: 'second-value' });
    expect(secrets.get('API_KEY').reveal()).toBe(CANARY);
    expect(secrets.redact(`key=${CANARY}&again=${CANARY};other=second-value.`)).toBe(
      `key=${SECRET_MASK}&again=${SECRET_MASK};other=${SECRET_MASK}.`,
    );
  });

  it('follows a refresh: the new value is masked, the snapshot taken before keeps the old one', () => {
    const secrets = service({ API_KEY: CANARY });
    const before = secrets.snapshot();
    expect(secrets.redact(`a ${CANARY} b`)).toBe(`a ${SECRET_MASK} b`);

    rotate(secrets, { API_KEY: ROTATED });

    expect(secrets.get('API_KEY').reveal()).toBe(ROTATED);
    expect(secrets.redact(`a ${ROTATED} b`)).toBe(`a ${SECRET_MASK} b`);
    // Only current values: the retired one is ordinary text for the service now...
    expect(secrets.redact(`a ${CANARY} b`)).toBe(`a ${CANARY} b`);
    // ...while the version it belonged to still masks it, and not the new one.
    expect(before.redact(`${CANARY} ${ROTATED}`)).toBe(`${SECRET_MASK} ${ROTATED}`);
    expect(secrets.snapshot().redact(`${CANARY} ${ROTATED}`)).toBe(`${CANARY} ${SECRET_MASK}`);
  });

  it(`leaves values shorter than ${REDACT_MIN_LENGTH} characters alone, masks ${REDACT_MIN_LENGTH} and more`, () => {
    expect(REDACT_MIN_LENGTH).toBe(4);
    const secrets = service({ SHORT: 'abc', EDGE: 'wxyz', EMPTY: '' });
    expect(secrets.redact('abc wxyz abcabc wxyzwxyz')).toBe(
      `abc ${SECRET_MASK} abcabc ${SECRET_MASK}${SECRET_MASK}`,
    );
    expect(secrets.redact('')).toBe('');
  });

  it('masks numbers by their string form, never booleans', () => {
    const secrets = service({ POOL: 5, PORT: 54321, BIG: 12345678901234567890n, FLAG: true, OFF: false });
    expect(secrets.redact('pool 5 port 54321 big 12345678901234567890 true false')).toBe(
      `pool 5 port ${SECRET_MASK} big ${SECRET_MASK} true false`,
    );
  });

  it('masks objects a schema built, by their JSON, string and inner values', () => {
    const secrets = service({
      HOSTS: ['alpha-host', 'beta-host'],
      WHEN: new Date('2031-02-03T04:05:06.000Z'),
    });
    expect(secrets.redact(JSON.stringify({ hosts: ['alpha-host', 'beta-host'] }))).toBe(
      `{"hosts":${SECRET_MASK}}`,
    );
    expect(secrets.redact('to beta-host at 2031-02-03T04:05:06.000Z')).toBe(
      `to ${SECRET_MASK} at ${SECRET_MASK}`,
    );
  });

  it('masks the longer of two overlapping values whole', () => {
    const secrets = service({ INNER: 'pass-1234', OUTER: 'user:pass-1234@db' });
    expect(secrets.redact('url postgres://user:pass-1234@db/x, pw pass-1234')).toBe(
      `url postgres://${SECRET_MASK}/x, pw ${SECRET_MASK}`,
    );
  });

  it('takes regular expression characters literally', () => {
    const secrets = service({ WEIRD: 'a.b*c+(d)?[e]{2}|^$\\' });
    expect(secrets.redact('axb*c+(d)?[e]{2}|^$\\')).toBe('axb*c+(d)?[e]{2}|^$\\');
    expect(secrets.redact('<a.b*c+(d)?[e]{2}|^$\\>')).toBe(`<${SECRET_MASK}>`);
  });

  it('masks a value with quotes, backslashes and line breaks where JSON or inspect escaped it', () => {
    const pem = `-----BEGIN KEY-----\nit's "quoted" \\ tab\there\n-----END KEY-----`;
    const secrets = service({ PEM: pem });
    const renderings = [
      pem,
      JSON.stringify({ pem }),
      JSON.stringify({ nested: JSON.stringify({ pem }) }),
      inspect({ pem }, { breakLength: Infinity }),
      inspect({ pem, other: 'has a \' and a "' }, { breakLength: Infinity }),
      inspect({ pem, other: 'has \' and " and `' }, { breakLength: Infinity }),
      JSON.stringify({ inspected: inspect(new Map([['pem', pem]]), { breakLength: Infinity }) }),
    ];
    for (const text of renderings) {
      expect(text).toContain('BEGIN KEY'); // the value was really there
      const redacted = secrets.redact(text);
      expect(redacted).toContain(SECRET_MASK);
      expect(redacted).not.toContain('BEGIN KEY');
      expect(redacted).not.toContain('tab');
    }
  });

  it('returns the very same string when nothing matched', () => {
    const secrets = service({ API_KEY: CANARY });
    const text = 'nothing secret in here '.repeat(10);
    expect(Object.is(secrets.redact(text), text)).toBe(true);
    expect(service({}).redact(text)).toBe(text);
  });

  it('keeps the snapshot frozen and printing masked', () => {
    const secrets = service({ API_KEY: CANARY });
    secrets.redact(CANARY);
    const snapshot = secrets.snapshot();
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(inspect(snapshot, { showHidden: true, depth: Infinity })).not.toContain(CANARY);
    expect(JSON.stringify(snapshot)).not.toContain(CANARY);
  });
});

describe('createRedactor', () => {
  it('honours a custom minimum', () => {
    expect(createRedactor(['ab', 'abcdef'], 2)('ab abcdef')).toBe(`${SECRET_MASK} ${SECRET_MASK}`);
    expect(createRedactor(['abcdef'], 7)('abcdef')).toBe('abcdef');
  });

  it('survives values whose rendering throws', () => {
    const hostile = {
      toString(): string {
        throw new Error('no');
      },
      toJSON(): string {
        throw new Error('no');
      },
      inner: 'inner-value',
    };
    expect(createRedactor([hostile])('x inner-value y')).toBe(`x ${SECRET_MASK} y`);
  });
});

describe('raw forms', () => {
  it("masks Doppler's own string when the schema transformed the value", async () => {
    const { SecretsService } = await import('../secrets.service.js');
    const service = new SecretsService(
      { PORT: 3000, KEY: 'abcdefgh' },
      { source: 'static', fetchedAt: new Date() },
      ['03000'],
    );
    expect(service.redact('port 03000 and 3000 and abcdefgh')).toBe(
      'port ********** and ********** and **********',
    );
  });
});

describe('createRedactor over generated secrets', () => {
  /**
   * Redacts every channel's text and asserts that nothing of any value shows: no canary
   * (every generated value of 4 characters or more is made of canary-led chunks), and for
   * sets small enough to search one by one, no value's plain text either.
   */
  function assertNothingShows(values: readonly unknown[], cutAt: number): void {
    const redact = createRedactor(values);
    const forms = values.flatMap(visibleForms).filter((form) => form.length >= REDACT_MIN_LENGTH);
    for (const [channel, text] of outputChannels(values, cutAt)) {
      if (channel === 'plain' && forms.some((form) => form.includes(CANARY_CHAR))) {
        expect(text.includes(CANARY_CHAR), 'the control: the values are in the text').toBe(true);
      }
      const redacted = redact(text);
      expect(redacted.includes(CANARY_CHAR), `${channel}: part of a secret shows`).toBe(false);
      if (forms.length * text.length <= 20_000_000) {
        // One assertion for all of them (thousands of runs of this loop): the first that shows, if any.
        expect(
          forms.find((form) => redacted.includes(form)),
          `${channel}: a value shows`,
        ).toBeUndefined();
      }
    }
  }

  it('masks small sets of values of any content in every channel', () => {
    fc.assert(
      fc.property(
        fc.array(smallSecret, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 4, max: 400 }),
        (values, cutAt) => assertNothingShows(values, cutAt),
      ),
      { numRuns: 150 },
    );
    // Room for a busy machine: the runs are CPU-bound, and nothing here is timed.
  }, 60_000);

  it('masks values of every size up to 1 MiB in every channel', () => {
    fc.assert(
      fc.property(
        secretOfSize(fc.integer({ min: 0, max: MAX_VALUE_SIZE })),
        fc.array(smallSecret, { maxLength: 3 }),
        fc.integer({ min: 4, max: 20_000 }),
        (big, others, cutAt) => assertNothingShows([big, ...others], cutAt),
      ),
      // Two sizes per run; the 1 MiB edge itself is the fixed test below.
      { numRuns: 2 },
    );
  }, 120_000);

  it('masks sets of up to 10,000 keys in every channel', () => {
    // 10,000 keys every time, and other counts.
    for (const [keys, numRuns] of [
      [fc.constant(10_000), 1],
      // One other count per run: the 10,000 above is the edge; counts below it take the same path.
      [fc.integer({ min: 1, max: 9_999 }), 1],
    ] as const) {
      const sets = keys.chain((count) =>
        fc.array(secretOfSize(fc.integer({ min: 0, max: 80 })), { minLength: count, maxLength: count }),
      );
      fc.assert(
        fc.property(sets, fc.integer({ min: 4, max: 80 }), (values, cutAt) =>
          assertNothingShows(values, cutAt),
        ),
        { numRuns },
      );
    }
  }, 120_000);

  it('handles a 27 KB value and a 1 MiB value, where one regular expression of all values failed', () => {
    for (const size of [27 * 1024, MAX_VALUE_SIZE]) {
      const pem = `-----BEGIN CERTIFICATE-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cK\n'.repeat(size / 64)}`;
      const redact = createRedactor([pem, 'canary-regular-key-7f3a']);
      const line = `cert ${pem} key canary-regular-key-7f3a`;
      expect(redact(line)).toBe(`cert ${SECRET_MASK} key ${SECRET_MASK}`);
      expect(redact(JSON.stringify({ line }))).toBe(`{"line":"cert ${SECRET_MASK} key ${SECRET_MASK}"}`);
      const cut = redact(inspect({ pem }));
      expect(cut).not.toContain('MIIE');
      expect(cut).toContain('more characters');
    }
  });

  it('unions overlapping values: nothing of either shows', () => {
    const redact = createRedactor(['abcdef', 'defghi']);
    expect(redact('x abcdefghi y')).toBe(`x ${SECRET_MASK} y`);
    expect(redact(JSON.stringify({ v: 'abcdefghi' }))).toBe(`{"v":"${SECRET_MASK}"}`);
  });

  it('never throws, whatever the values are', () => {
    const cycle: unknown[] = ['cycle-secret-value'];
    cycle.push(cycle);
    const wide: unknown[] = [];
    for (let i = 0; i < 50; i++) wide.push(wide);
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const hostile = [
      cycle,
      wide,
      revoked.proxy,
      Object.create(null),
      {
        get boom(): string {
          throw new Error('getter-secret');
        },
      },
      Symbol('s'),
      () => 'fn',
      '\ud800\u0000\udfff\\',
    ];
    const redact = createRedactor(hostile);
    expect(redact('x cycle-secret-value y')).toBe(`x ${SECRET_MASK} y`);
    expect(redact(`a \ud800\u0000\udfff\\ b`)).toBe(`a ${SECRET_MASK} b`);
    const iterator: Iterable<unknown> = {
      [Symbol.iterator]: () => ({
        next: () => {
          throw new Error('iterator-secret');
        },
      }),
    };
    expect(createRedactor(iterator)('iterator-secret')).toBe(SECRET_MASK);
  });
});
