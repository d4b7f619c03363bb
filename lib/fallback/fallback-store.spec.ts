import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DopplerConfigurationError, DopplerError, type DopplerErrorCode } from '../errors/doppler.errors.js';
import { tempPathFor } from './atomic-write.js';
import { FallbackStore, type FallbackStoreOptions } from './fallback-store.js';
import { sealNative } from './native-format.js';
import { everythingShown } from '../../test/support/everything-shown.js';

const PASSPHRASE = 'dp.st.prd.CANARYPASS9c41e:shop:dev';
const CANARY = 'CANARY-VALUE-5e0c2d';
const SECRETS: Record<string, string> = {
  DATABASE_URL: `postgres://app:${CANARY}@db/shop`,
  EMPTY: '',
  UNICODE: `${CANARY}-päss wörd ✓ 🔐 日本`,
  DOPPLER_PROJECT: 'shop',
  DOPPLER_CONFIG: 'dev',
};
const SCOPE = { project: 'shop', config: 'dev' };
const FAST = 1000;
const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const DAY = 86_400_000;
const isWindows = process.platform === 'win32';

let dir = '';
let file = '';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nestjs-doppler-fallback-'));
  file = join(dir, 'fallback');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function store(overrides: Partial<FallbackStoreOptions> = {}): FallbackStore {
  return new FallbackStore({ path: file, passphrase: PASSPHRASE, rounds: FAST, now: () => T0, ...overrides });
}

/** Everything an error could show; none of it may carry a secret, the passphrase or the file's bytes. */
function expectNothingLeaks(error: unknown): void {
  const e = error as Error;
  const everything = everythingShown(e);
  for (const forbidden of [CANARY, 'CANARYPASS', PASSPHRASE, 'postgres://', '🔐']) {
    expect(everything).not.toContain(forbidden);
  }
  expect(e.cause).toBeUndefined();
}

async function failure(promise: Promise<unknown>, code: DopplerErrorCode): Promise<DopplerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DopplerError);
  expectNothingLeaks(error);
  expect((error as DopplerError).code).toBe(code);
  return error as DopplerError;
}

/** The two lines of a file this library wrote. */
async function lines(): Promise<[Record<string, unknown>, string]> {
  const [header = '', body = ''] = (await readFile(file, 'utf8')).split('\n');
  return [JSON.parse(header) as Record<string, unknown>, body];
}

/** Rewrites one header field in place, keeping everything else byte for byte. */
async function editHeader(from: string, to: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  expect(text).toContain(from);
  await writeFile(file, text.replace(from, to));
}

interface CliLayout {
  readonly rounds?: number;
  readonly encoding?: 'base64' | 'hex';
  /** Everything before `<salt>-<nonce>-<ciphertext>`. @default `4:<encoding>:<rounds>:` */
  readonly prefix?: string;
}

/** A Doppler CLI fallback file, built as DopplerHQ/cli pkg/crypto/aes.go Encrypt() does. */
function cliFile(passphrase: string, plaintext: string, layout: CliLayout = {}): string {
  const { rounds = FAST, encoding = 'base64' } = layout;
  const prefix = layout.prefix ?? `4:${encoding}:${rounds}:`;
  const salt = randomBytes(8);
  const nonce = randomBytes(12);
  const key = pbkdf2Sync(passphrase, salt, rounds, 32, 'sha256');
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${prefix}${salt.toString(encoding)}-${nonce.toString(encoding)}-${sealed.toString(encoding)}`;
}

describe('FallbackStore: own format', () => {
  it('round-trips secrets, including empty and unicode values, with scope, time and format', async () => {
    await store().write(SECRETS, SCOPE);
    const snapshot = await store().read();
    expect({ ...snapshot.secrets }).toEqual(SECRETS);
    expect(snapshot.scope).toEqual(SCOPE);
    expect(snapshot.writtenAt.getTime()).toBe(T0);
    expect(snapshot.format).toBe('nestjs-doppler');
    expect(Object.isFrozen(snapshot) && Object.isFrozen(snapshot.secrets)).toBe(true);
  });

  it('round-trips an empty set of secrets and a scope without project or config', async () => {
    await store().write({}, {});
    const snapshot = await store().read();
    expect({ ...snapshot.secrets }).toEqual({});
    expect(snapshot.scope).toEqual({});
  });

  it('keeps a "__proto__" secret as a plain entry', async () => {
    const secrets = JSON.parse('{"__proto__":"x","A":"1"}') as Record<string, string>;
    await store().write(secrets, SCOPE);
    const { secrets: read } = await store().read();
    expect(Object.getOwnPropertyDescriptor(read, '__proto__')?.value).toBe('x');
    expect(read['A']).toBe('1');
  });

  it('puts no secret name or value and no passphrase on disk; the header documents the layout', async () => {
    await store().write(SECRETS, SCOPE);
    const raw = await readFile(file);
    for (const forbidden of [CANARY, 'CANARYPASS', 'postgres', 'DATABASE_URL', 'UNICODE', 'wörd']) {
      expect(raw.includes(forbidden)).toBe(false);
      expect(raw.includes(Buffer.from(forbidden, 'utf16le'))).toBe(false);
    }
    const [header, body] = await lines();
    expect(header).toEqual({
      format: 'nestjs-doppler/2',
      kdf: 'pbkdf2-sha256',
      rounds: FAST,
      salt: expect.any(String),
      nonce: expect.any(String),
      project: 'shop',
      config: 'dev',
      binding: 'scope',
      tokenFingerprint: null,
      writtenAt: '2025-03-01T12:00:00.000Z',
    });
    expect(Buffer.from(header['salt'] as string, 'base64')).toHaveLength(16);
    expect(Buffer.from(header['nonce'] as string, 'base64')).toHaveLength(12);
    expect(body).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it.skipIf(isWindows)(
    'writes mode 0600, also over a file that was 0644, and creates a missing directory 0700',
    async () => {
      file = join(dir, 'nested', 'deeper', 'fallback');
      await store().write(SECRETS, SCOPE);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'nested', 'deeper'))).mode & 0o777).toBe(0o700);

      await chmod(file, 0o644);
      await store().write(SECRETS, SCOPE);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    },
  );

  it('never prints the passphrase when the store itself is inspected', () => {
    const s = store();
    expect(inspect(s, { showHidden: true, depth: 10 })).not.toContain('CANARYPASS');
    expect(JSON.stringify(s)).not.toContain('CANARYPASS');
  });

  it('reports a missing file as MISSING', async () => {
    const error = await failure(store().read(), 'DOPPLER_FALLBACK_MISSING');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/successful fetch/);
  });

  it('refuses a file encrypted with another passphrase', async () => {
    await store().write(SECRETS, SCOPE);
    const error = await failure(
      store({ passphrase: 'another passphrase' }).read(),
      'DOPPLER_FALLBACK_INVALID',
    );
    expect(error.message).toMatch(/could not be decrypted.*another passphrase/);
    expect(error.message).toContain(file);
  });

  it('refuses a flipped ciphertext byte, wherever it is', async () => {
    await store().write(SECRETS, SCOPE);
    const original = await readFile(file, 'utf8');
    const [header, body = ''] = original.split('\n');
    const sealed = Buffer.from(body, 'base64');
    for (const at of [0, Math.floor(sealed.length / 2), sealed.length - 17, sealed.length - 1]) {
      const flipped = Buffer.from(sealed);
      flipped[at] ^= 0x01;
      await writeFile(file, `${header}\n${flipped.toString('base64')}\n`);
      const error = await failure(store().read(), 'DOPPLER_FALLBACK_INVALID');
      expect(error.message).toMatch(/could not be decrypted/);
    }
  });

  it.each([
    ['project', '"project":"shop"', '"project":"shoq"'],
    ['config', '"config":"dev"', '"config":"prd"'],
    ['config to null', '"config":"dev"', '"config":null'],
    ['writtenAt', '"writtenAt":"2025-03-01T12:00:00.000Z"', '"writtenAt":"2025-03-09T12:00:00.000Z"'],
    ['rounds (still in bounds)', `"rounds":${FAST}`, `"rounds":${FAST + 1}`],
    ['salt', '"salt":"', '"salt":"A'],
    ['spacing only', '"kdf":"pbkdf2-sha256"', '"kdf": "pbkdf2-sha256"'],
  ])('refuses a header whose %s was edited (it is authenticated)', async (_what, from, to) => {
    await store().write(SECRETS, SCOPE);
    if (from === '"salt":"') {
      // Replace the salt with another valid 16-byte salt rather than breaking its base64.
      const [header] = await lines();
      await editHeader(
        `"salt":"${header['salt'] as string}"`,
        `"salt":"${randomBytes(16).toString('base64')}"`,
      );
    } else {
      await editHeader(from, to);
    }
    await failure(store().read(), 'DOPPLER_FALLBACK_INVALID');
  });

  it('refuses the file truncated at every length, without a crash', async () => {
    await store().write(SECRETS, SCOPE);
    const whole = await readFile(file);
    for (let length = 0; length < whole.length; length += 1) {
      await writeFile(file, whole.subarray(0, length));
      await failure(store().read(), 'DOPPLER_FALLBACK_INVALID');
    }
    await writeFile(file, whole);
    await expect(store().read()).resolves.toBeDefined();
    // A few hundred reads, each deriving a key on the thread pool: room for a busy machine (the
    // default 5 s ran out under load, and the loop then wrote into the next test's file).
  }, 30_000);

  it('refuses a file that is not a fallback file, a directory, and garbage after a valid file', async () => {
    await writeFile(file, 'DATABASE_URL=postgres://x\n');
    expect((await failure(store().read(), 'DOPPLER_FALLBACK_INVALID')).message).toMatch(/neither/);

    await store().write(SECRETS, SCOPE);
    await writeFile(file, Buffer.concat([await readFile(file), Buffer.from('extra\n')]));
    await failure(store().read(), 'DOPPLER_FALLBACK_INVALID');

    await rm(file);
    await mkdir(file);
    expect((await failure(store().read(), 'DOPPLER_FALLBACK_INVALID')).message).toMatch(/not a regular file/);
  });

  it.each([
    ['an array', '[]'],
    ['a number value', '{"A":1}'],
    ['a nested object', '{"A":{"B":"c"}}'],
    ['not JSON', `{"A":"${CANARY}"`],
  ])('refuses an authentic payload that is %s, without echoing it', async (_what, payload) => {
    const salt = randomBytes(16);
    const key = pbkdf2Sync(PASSPHRASE, salt, FAST, 32, 'sha256');
    const plaintext = Buffer.from(payload);
    await writeFile(
      file,
      sealNative({ key, salt, rounds: FAST, scope: SCOPE, writtenAt: new Date(T0), plaintext }),
    );
    const error = await failure(store().read(), 'DOPPLER_FALLBACK_INVALID');
    expect(error.message).toMatch(/decrypted, but/);
  });

  it('refuses a file written for another project or config, naming both scopes', async () => {
    await store().write(SECRETS, { project: 'shop', config: 'stg' });
    const error = await failure(
      store({ expectedScope: { project: 'shop', config: 'prd' } }).read(),
      'DOPPLER_FALLBACK_INVALID',
    );
    expect(error.message).toContain('holds secrets for project "shop", config "stg"');
    expect(error.message).toContain('expects project "shop", config "prd"');

    await failure(store({ expectedScope: { project: 'billing' } }).read(), 'DOPPLER_FALLBACK_INVALID');
    // Only the fields given are compared.
    await expect(store({ expectedScope: { project: 'shop' } }).read()).resolves.toBeDefined();
    await expect(store({ expectedScope: {} }).read()).resolves.toBeDefined();
  });

  it('refuses a file with no recorded project when one is expected', async () => {
    await store().write(SECRETS, { config: 'dev' });
    const error = await failure(store({ expectedScope: SCOPE }).read(), 'DOPPLER_FALLBACK_INVALID');
    expect(error.message).toContain('project (none)');
  });

  it('refuses a file older than maxAgeMs as EXPIRED, saying its age and the limit', async () => {
    await store().write(SECRETS, SCOPE);
    await expect(store({ maxAgeMs: DAY, now: () => T0 + DAY }).read()).resolves.toBeDefined();
    const error = await failure(
      store({ maxAgeMs: DAY, now: () => T0 + 3 * DAY + 4 * 3_600_000 }).read(),
      'DOPPLER_FALLBACK_EXPIRED',
    );
    expect(error.message).toContain('is 3d 4h old');
    expect(error.message).toContain('limit of 1d 0h (86400000 ms)');
    expect(error.message).toContain('2025-03-01T12:00:00.000Z');
  });

  it('does not expire a file without maxAgeMs, nor one dated in the future', async () => {
    await store().write(SECRETS, SCOPE);
    await expect(store({ now: () => T0 + 3650 * DAY }).read()).resolves.toBeDefined();
    await expect(store({ maxAgeMs: 1, now: () => T0 - DAY }).read()).resolves.toBeDefined();
  });

  it('refuses out-of-bounds rounds before deriving anything', async () => {
    await store().write(SECRETS, SCOPE);
    await editHeader(`"rounds":${FAST}`, '"rounds":2000000000');

    const reader = store();
    const error = await failure(reader.read(), 'DOPPLER_FALLBACK_INVALID');
    expect(error.message).toContain('2000000000 PBKDF2 rounds');
    // No key was derived: refused from the header alone.
    expect(reader.derivations).toBe(0);

    for (const rounds of ['999', '0', '-1', '1.5', '"500000"', '1e400']) {
      await store().write(SECRETS, SCOPE);
      await editHeader(`"rounds":${FAST}`, `"rounds":${rounds}`);
      const r = store();
      await failure(r.read(), 'DOPPLER_FALLBACK_INVALID');
      expect(r.derivations).toBe(0);
    }
  });

  it('keeps the old file readable when a write crashed before its rename', async () => {
    await store().write({ VERSION: 'old' }, SCOPE);
    // A crash mid-write leaves a temp file beside the target, partial or complete.
    const partial = join(dir, `.fallback.${randomBytes(6).toString('hex')}.tmp`);
    await writeFile(partial, (await readFile(file)).subarray(0, 40));
    expect(tempPathFor(file)).toMatch(/[/\\]\.fallback\.[0-9a-f]{12}\.tmp$/);

    expect((await store().read()).secrets['VERSION']).toBe('old');
    await store().write({ VERSION: 'new' }, SCOPE);
    expect((await store().read()).secrets['VERSION']).toBe('new');
  });

  it('leaves no temp file behind when a write fails, and says why', async () => {
    await mkdir(file);
    const error = await failure(store().write(SECRETS, SCOPE), 'DOPPLER_FALLBACK_WRITE_FAILED');
    expect(error.message).toContain(file);
    expect(error.reason).toMatch(/^E[A-Z]+$/);
    expect((await readdir(dir)).sort()).toEqual(['fallback']);
  });

  it.skipIf(isWindows || process.getuid?.() === 0)(
    'reports an unwritable directory as WRITE_FAILED',
    async () => {
      const locked = join(dir, 'locked');
      await mkdir(locked, { mode: 0o500 });
      file = join(locked, 'fallback');
      const error = await failure(store().write(SECRETS, SCOPE), 'DOPPLER_FALLBACK_WRITE_FAILED');
      expect(error.reason).toBe('EACCES');
    },
  );

  it('refuses values that are not strings, naming the secret and not the value', async () => {
    const bad = { GOOD: CANARY, BAD: 42 } as unknown as Record<string, string>;
    const error = await failure(store().write(bad, SCOPE), 'DOPPLER_FALLBACK_WRITE_FAILED');
    expect(error.message).toContain('"BAD" is a number');
    await failure(store().read(), 'DOPPLER_FALLBACK_MISSING');
  });

  it('derives the key once per store: writes reuse it with a fresh nonce, reads reuse it too', async () => {
    const writer = store();
    await Promise.all([writer.write(SECRETS, SCOPE), writer.write(SECRETS, SCOPE)]);
    const [first] = await lines();
    await writer.write({ ...SECRETS, MORE: 'x' }, SCOPE);
    const [second] = await lines();
    expect(writer.derivations).toBe(1);
    expect(second['salt']).toBe(first['salt']);
    expect(second['nonce']).not.toBe(first['nonce']);
    await writer.read();
    expect(writer.derivations).toBe(1);

    // A fresh process: the read derives, the write after it does not.
    const restarted = store();
    await restarted.read();
    await restarted.write(SECRETS, SCOPE);
    expect(restarted.derivations).toBe(1);

    // A failed read caches nothing.
    const wrong = store({ passphrase: 'wrong' });
    await failure(wrong.read(), 'DOPPLER_FALLBACK_INVALID');
    await wrong.write(SECRETS, SCOPE);
    expect(wrong.derivations).toBe(2);
  });

  it('removes the file, and does not mind when it is already gone', async () => {
    await store().remove();
    await store().write(SECRETS, SCOPE);
    await store().remove();
    await failure(store().read(), 'DOPPLER_FALLBACK_MISSING');
    await store().remove();
  });

  it('rejects bad options without echoing the passphrase', () => {
    for (const overrides of [
      { rounds: 999 },
      { rounds: 1_000_001 },
      { rounds: 1500.5 },
      { passphrase: '' },
      { path: '' },
      { maxAgeMs: -1 },
      { maxAgeMs: Number.NaN },
      // The fallback.maxAge option's rule: a whole number of milliseconds, 1 or more.
      { maxAgeMs: 0 },
      { maxAgeMs: 1.5 },
    ]) {
      let error: unknown;
      try {
        store(overrides);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DopplerConfigurationError);
      if ('maxAgeMs' in overrides) {
        expect((error as Error).message).toBe(
          `The fallback.maxAge option must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}.`,
        );
      }
      expectNothingLeaks(error);
    }
    expect(new FallbackStore({ path: file, passphrase: PASSPHRASE }).path).toBe(file);
  });
});

describe('FallbackStore: Doppler CLI files (read only)', () => {
  const CLI_SECRETS = {
    API_KEY: CANARY,
    EMPTY: '',
    DOPPLER_PROJECT: 'shop',
    DOPPLER_CONFIG: 'dev',
    DOPPLER_ENVIRONMENT: 'dev',
  };

  it('reads a "4:base64:<rounds>:" file with its scope from DOPPLER_PROJECT/DOPPLER_CONFIG and its age from mtime', async () => {
    await writeFile(file, cliFile(PASSPHRASE, JSON.stringify(CLI_SECRETS)));
    const mtime = new Date(T0 - 2 * DAY);
    await utimes(file, mtime, mtime);
    const snapshot = await store({ expectedScope: SCOPE, maxAgeMs: 3 * DAY }).read();
    expect(snapshot.format).toBe('doppler-cli');
    expect({ ...snapshot.secrets }).toEqual(CLI_SECRETS);
    expect(snapshot.scope).toEqual(SCOPE);
    expect(snapshot.writtenAt.getTime()).toBe(mtime.getTime());

    const error = await failure(store({ maxAgeMs: DAY }).read(), 'DOPPLER_FALLBACK_EXPIRED');
    expect(error.message).toContain('is 2d 0h old (last modified');
  });

  it.each<[string, CliLayout]>([
    ['hex, version 4', { encoding: 'hex' }],
    ['base64, version 3', { prefix: `base64:${FAST}:` }],
    ['hex, version 3', { encoding: 'hex', prefix: `hex:${FAST}:` }],
  ])('reads the %s layout', async (_what, layout) => {
    await writeFile(file, cliFile(PASSPHRASE, JSON.stringify(CLI_SECRETS), layout));
    expect((await store().read()).secrets['API_KEY']).toBe(CANARY);
  });

  // Ciphertexts from DopplerHQ/cli pkg/crypto/aes_test.go (passphrase "secret", 50,000 rounds).
  const HEX =
    '9bc0a6db97dadea4-0d16d53716f505651f894aba-11b04a80eafd8ea700c7755de860aeb0347cff4ae93b626e858681e7e123034b4c11691a412843';
  const B64 = 'qwbkFMWB7FE=-Ew968YdkAXRb6l46-eA4o9Pf9mSIaOofa8YIEP+FqJ6DwScHsYIObAw3dvKvHbe5SDTzB';
  it.each([
    HEX,
    `hex:${HEX}`,
    `hex:50000:${HEX}`,
    `4:hex:50000:${HEX}`,
    `base64:${B64}`,
    `base64:50000:${B64}`,
    `4:base64:50000:${B64}\n`,
  ])('decrypts the Doppler CLI test vector %s', async (contents) => {
    await writeFile(file, contents);
    const snapshot = await store({ passphrase: 'secret' }).read();
    expect({ ...snapshot.secrets }).toEqual({ TEST_SECRET: 'value' });
    expect(snapshot.scope).toEqual({});
  });

  it('refuses what the CLI refuses: an unprefixed base64 file', async () => {
    await writeFile(file, B64);
    await failure(store({ passphrase: 'secret' }).read(), 'DOPPLER_FALLBACK_INVALID');
  });

  it('refuses a CLI file for another scope, or one that does not say its scope, when a scope is expected', async () => {
    await writeFile(file, cliFile(PASSPHRASE, JSON.stringify({ ...CLI_SECRETS, DOPPLER_CONFIG: 'prd' })));
    const error = await failure(store({ expectedScope: SCOPE }).read(), 'DOPPLER_FALLBACK_INVALID');
    expect(error.message).toContain('holds secrets for project "shop", config "prd"');
    expect(error.message).toContain('DOPPLER_PROJECT/DOPPLER_CONFIG');

    await writeFile(file, cliFile(PASSPHRASE, JSON.stringify({ API_KEY: CANARY })));
    await failure(store({ expectedScope: { project: 'shop' } }).read(), 'DOPPLER_FALLBACK_INVALID');
    await expect(store().read()).resolves.toBeDefined();
  });

  it('refuses a CLI file with the wrong passphrase, explaining how the CLI picks one', async () => {
    await writeFile(file, cliFile(PASSPHRASE, JSON.stringify(CLI_SECRETS)));
    const error = await failure(
      store({ passphrase: 'dp.st.prd.other:shop:dev' }).read(),
      'DOPPLER_FALLBACK_INVALID',
    );
    expect(error.message).toContain('DOPPLER_PASSPHRASE');
  });

  it('refuses a tampered or truncated CLI file', async () => {
    const contents = cliFile(PASSPHRASE, JSON.stringify(CLI_SECRETS), { encoding: 'hex' });
    const last = contents.at(-1) === '0' ? '1' : '0';
    await writeFile(file, contents.slice(0, -1) + last);
    await failure(store().read(), 'DOPPLER_FALLBACK_INVALID');
    for (const length of [
      0,
      1,
      2,
      7,
      20,
      40,
      contents.length - 33,
      contents.length - 2,
      contents.length - 1,
    ]) {
      await writeFile(file, contents.slice(0, length));
      await failure(store().read(), 'DOPPLER_FALLBACK_INVALID');
    }
  });

  it('refuses out-of-bounds CLI rounds before deriving anything', async () => {
    for (const rounds of ['2000000000', '99999999999999', '999', 'abc', '']) {
      await writeFile(file, cliFile(PASSPHRASE, '{}', { prefix: `4:base64:${rounds}:` }));
      const reader = store();
      await failure(reader.read(), 'DOPPLER_FALLBACK_INVALID');
      expect(reader.derivations).toBe(0);
    }
  });

  it('never writes the CLI format', async () => {
    await writeFile(file, cliFile(PASSPHRASE, JSON.stringify(CLI_SECRETS)));
    const s = store();
    await s.write((await s.read()).secrets, SCOPE);
    expect((await readFile(file, 'utf8')).startsWith('{"format":"nestjs-doppler/2"')).toBe(true);
  });
});
