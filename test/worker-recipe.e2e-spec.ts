/**
 * The README's worker recipe, run as written (with the Quick start's `AppSecrets`) as a plain
 * `node` process: secrets from the emulator with `refresh`, payments calls to a stand-in on
 * 127.0.0.1 that records the key each call carries. A rotated key must reach the calls without
 * a restart, the log must name the change and never a value, and SIGTERM must end the process.
 * Then the promise the README makes of `loadDopplerSecrets`: refresh timers never keep a process
 * alive, so a script that never calls `close()` still exits when its own work is done.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { readmeRecipe } from './support/readme-recipes.js';
import { RecipeProject, type ProcessResult } from './support/recipe-project.js';
import { waitFor } from './support/wait-for.js';

const SLOW = 120_000;
const TOKEN = 'dp.st.dev.worker-recipe-token';
const KEY_1 = 'payments-key-worker-version-1-0123456789';
const KEY_2 = 'payments-key-worker-version-2-9876543210';
const PASSWORD = 'pg-password-worker-1b2c3d4e';
const secretsWith = (key: string) => ({
  DATABASE_URL: `postgres://app:${PASSWORD}@127.0.0.1:5432/app`,
  PORT: '3000',
  PAYMENTS_API_KEY: key,
});

/** A script that loads with `refresh`, keeps itself busy for a second, and never calls close(). */
const NO_CLOSE_SCRIPT = `import { loadDopplerSecrets } from 'nestjs-doppler';

const secrets = await loadDopplerSecrets({
  token: process.env.DOPPLER_TOKEN,
  apiUrl: process.env.DOPPLER_API_URL,
  refresh: { interval: 100, jitter: 0 },
});
console.log(\`loaded \${secrets.keys().length} keys\`);
setTimeout(() => console.log(\`done at version \${secrets.status.version}\`), 1_000);
`;

describe('worker recipe', () => {
  const emulator = new DopplerEmulator({
    projects: { app: { configs: { dev: { secrets: secretsWith(KEY_1) } } } },
    tokens: [{ token: TOKEN, project: 'app', config: 'dev' }],
  });
  const keysSeen: string[] = [];
  let payments: Server;
  let project: RecipeProject;
  let env: Record<string, string> = {};

  const expectNothingSecret = (output: string) => {
    for (const canary of [TOKEN, KEY_1, KEY_2, PASSWORD]) expect(output).not.toContain(canary);
  };

  beforeAll(async () => {
    payments = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/charges/pending') {
        keysSeen.push(String(req.headers.authorization).replace(/^Bearer /, ''));
      }
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => payments.listen(0, '127.0.0.1', resolve));
    env = {
      DOPPLER_TOKEN: TOKEN,
      DOPPLER_API_URL: await emulator.start(),
      PAYMENTS_URL: `http://127.0.0.1:${(payments.address() as AddressInfo).port}`,
    };
    project = await RecipeProject.create('esm', 'worker');
    await project.writeCompiled('dist/worker.js', readmeRecipe('worker', 'src/worker.ts').code);
    await project.writeCompiled('dist/app-secrets.js', readmeRecipe('app-secrets').code);
    await project.writeCompiled('scripts/no-close.js', NO_CLOSE_SCRIPT);
  }, SLOW);

  afterAll(async () => {
    await project?.remove();
    await emulator.stop();
    await new Promise((resolve) => payments?.close(resolve));
  });

  it(
    'calls with the served key, switches to a rotated key without a restart, and stops on SIGTERM',
    async () => {
      const worker = project.start(['dist/worker.js'], { ...env, SECRETS_REFRESH_MS: '200' });
      let result: ProcessResult | undefined;
      try {
        await waitFor('a call with the first key', () => keysSeen.includes(KEY_1), 20_000);
        emulator.setSecrets('app', 'dev', secretsWith(KEY_2));
        await waitFor(
          'the change logged',
          () => worker.output().includes('secrets version 2: PAYMENTS_API_KEY changed'),
          20_000,
        );
        await waitFor('a call with the rotated key', () => keysSeen.includes(KEY_2), 20_000);
        // After the rotation, no call carries the old key any more.
        const firstRotated = keysSeen.indexOf(KEY_2);
        await new Promise((r) => setTimeout(r, 1_500));
        expect(keysSeen.slice(firstRotated).every((key) => key === KEY_2)).toBe(true);

        const stopping = Date.now();
        worker.kill('SIGTERM');
        result = await worker.exited;
        expect(Date.now() - stopping).toBeLessThan(5_000);
      } finally {
        if (result === undefined) worker.kill('SIGKILL');
      }
      expect(result).toMatchObject({ code: 0, signal: null });
      expect(result.output).toMatch(/Loaded 3 secrets from Doppler/);
      expectNothingSecret(result.output);
    },
    SLOW,
  );

  it(
    'a revoked token ends the worker with code 1 and the error printed, without the token',
    async () => {
      const revoked = 'dp.st.dev.worker-revoked-token';
      emulator.addToken({ token: revoked, project: 'app', config: 'dev' });
      emulator.revokeToken(revoked);
      const result = await project.run(['dist/worker.js'], { ...env, DOPPLER_TOKEN: revoked }, 30_000);
      expect(result).toMatchObject({ code: 1, signal: null });
      expect(result.output).toMatch(/DopplerAuthError: Doppler rejected the token \(401 Unauthorized\)/);
      expect(result.output).not.toContain(revoked);
      expectNothingSecret(result.output);
    },
    SLOW,
  );

  it(
    'a script that loads with refresh and never calls close() exits when its own work is done',
    async () => {
      emulator.resetRequests();
      const started = Date.now();
      const result = await project.run(['scripts/no-close.js'], env, 30_000);
      expect(result.signal).toBeNull(); // not killed by the timeout
      expect(result.code).toBe(0);
      expect(result.output).toMatch(/loaded \d+ keys/);
      expect(result.output).toContain('done at version');
      // The refresh was running while the script worked: several checks in that second.
      expect(emulator.requests.filter((r) => r.status === 304).length).toBeGreaterThanOrEqual(3);
      expect(Date.now() - started).toBeLessThan(20_000);
      expectNothingSecret(result.output);
    },
    SLOW,
  );
});
