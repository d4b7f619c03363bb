import { DopplerEmulator, type DopplerEmulatorOptions } from './doppler-emulator.js';
import type { EmulatorSeed } from './emulator-seed.js';

type Hook = (fn: () => Promise<void> | void) => void;

/** The hooks of the test runner; Jest and Vitest (with `globals`) provide them as globals. */
export interface TestHooks {
  readonly beforeAll: Hook;
  readonly afterAll: Hook;
}

/** What a test file gets back: the running emulator, and options that point at it. */
export interface DopplerEmulatorFixture {
  /** The emulator, for mutations (`setSecret`), faults and the request log. */
  readonly emulator: DopplerEmulator;
  /** Its base URL; available once the `beforeAll` hook has run. */
  readonly url: string;
  /** The first token of the seed. */
  readonly token: string;
  /** `{ token, apiUrl }` to spread into `DopplerModule.forRoot()` options. */
  moduleOptions(): { token: string; apiUrl: string };
}

/**
 * Starts a {@link DopplerEmulator} before the tests of a file and stops it after them.
 * Pass your runner's hooks (`import { beforeAll, afterAll } from 'vitest'`), or rely on
 * the globals Jest and Vitest (`globals: true`) define.
 *
 * @throws {Error} when no hooks are given and the runner defines none.
 * @example
 * import { afterAll, beforeAll } from 'vitest';
 * const doppler = useDopplerEmulator(seed, { beforeAll, afterAll });
 * it('boots', async () => {
 *   const moduleRef = await Test.createTestingModule({
 *     imports: [DopplerModule.forRoot({ ...doppler.moduleOptions(), schema: AppSecrets })],
 *   }).compile();
 * });
 */
export function useDopplerEmulator(
  seed: EmulatorSeed,
  options: Partial<TestHooks> & DopplerEmulatorOptions = {},
): DopplerEmulatorFixture {
  const { beforeAll, afterAll, ...emulatorOptions } = options;
  const globals = globalThis as unknown as Partial<TestHooks>;
  const before = beforeAll ?? globals.beforeAll;
  const after = afterAll ?? globals.afterAll;
  if (typeof before !== 'function' || typeof after !== 'function') {
    throw new Error(
      "useDopplerEmulator needs the test runner's hooks: pass { beforeAll, afterAll } (e.g. from 'vitest'), or enable the runner's globals.",
    );
  }
  const token = seed.tokens?.[0]?.token;
  if (token === undefined) throw new Error('useDopplerEmulator needs a seed with at least one token.');
  const emulator = new DopplerEmulator(seed, emulatorOptions);
  before(async () => {
    await emulator.start();
  });
  after(() => emulator.stop());
  return {
    emulator,
    get url() {
      return emulator.url;
    },
    token,
    moduleOptions: () => ({ token, apiUrl: emulator.url }),
  };
}
