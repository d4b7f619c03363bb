import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { SlowestFirst } from './test/support/slowest-first.js';

const alias = {
  'nestjs-doppler/testing': fileURLToPath(new URL('./lib/testing/index.ts', import.meta.url)),
  'nestjs-doppler/health': fileURLToPath(new URL('./lib/health/index.ts', import.meta.url)),
  'nestjs-doppler/config': fileURLToPath(new URL('./lib/config/index.ts', import.meta.url)),
  'nestjs-doppler': fileURLToPath(new URL('./lib/index.ts', import.meta.url)),
};

/** The README's recipes run as written, each in its own project on disk. */
const RECIPES = 'test/**/*-recipe.e2e-spec.ts';

/**
 * Files that take a resource of the whole process (every thread of libuv's pool, as a hung volume
 * does) run in a process of their own; every other file shares its worker with the files before it.
 */
const OWN_PROCESS = ['lib/fallback/fallback-policy.spec.ts'];

/** Each worker imports Nest, axios and class-validator once; the setup file resets what a file changes. */
const shared = {
  pool: 'forks' as const,
  isolate: false,
  setupFiles: ['test/support/per-file-reset.ts'],
  environment: 'node',
};

export default defineConfig({
  resolve: { alias },
  test: {
    // Vitest's default is one worker fewer than the cores: on two cores, one.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: SlowestFirst },
    projects: [
      {
        resolve: { alias },
        test: {
          // The unit specs beside the code and the e2e suites: one project, so that its workers
          // take any file. Vitest does not share a worker between projects, and a worker that
          // switches project is a new process that imports Nest, axios and class-validator again.
          name: 'suite',
          include: ['lib/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
          exclude: [...OWN_PROCESS, RECIPES],
          ...shared,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'own-process',
          include: OWN_PROCESS,
          environment: 'node',
          setupFiles: ['reflect-metadata'],
        },
      },
      {
        resolve: { alias },
        test: {
          // README recipes run as written in throw-away projects (real TypeORM, Prisma and worker
          // processes): minutes, not seconds, so `npm run test:recipes` runs them (CI does), not `npm test`.
          name: 'recipes',
          include: [RECIPES],
          setupFiles: ['reflect-metadata'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
