import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const alias = {
  'nestjs-doppler/testing': fileURLToPath(new URL('./lib/testing/index.ts', import.meta.url)),
  'nestjs-doppler/health': fileURLToPath(new URL('./lib/health/index.ts', import.meta.url)),
  'nestjs-doppler/config': fileURLToPath(new URL('./lib/config/index.ts', import.meta.url)),
  'nestjs-doppler': fileURLToPath(new URL('./lib/index.ts', import.meta.url)),
};

/** The README's recipes run as written, each in its own project on disk. */
const RECIPES = 'test/**/*-recipe.e2e-spec.ts';

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['lib/**/*.spec.ts'],
          environment: 'node',
          setupFiles: ['reflect-metadata'],
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          exclude: [RECIPES],
          setupFiles: ['reflect-metadata'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 30_000,
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
