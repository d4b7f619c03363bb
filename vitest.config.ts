import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const alias = {
  'nestjs-doppler/testing': fileURLToPath(new URL('./lib/testing/index.ts', import.meta.url)),
  'nestjs-doppler/health': fileURLToPath(new URL('./lib/health/index.ts', import.meta.url)),
  'nestjs-doppler/config': fileURLToPath(new URL('./lib/config/index.ts', import.meta.url)),
  'nestjs-doppler': fileURLToPath(new URL('./lib/index.ts', import.meta.url)),
};

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
          setupFiles: ['reflect-metadata'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
