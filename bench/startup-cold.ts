/**
 * One cold start in a fresh process: load only what the variant needs, then build the
 * context. Reports the time from process start (performance.timeOrigin) to ready.
 * Usage: node startup-cold.js <a|b|c|d> <apiUrl>
 */
import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import { RESULT_PREFIX } from './support/child.js';

const [id, apiUrl = ''] = process.argv.slice(2);
const { NestFactory } = await import('@nestjs/core');
const variants = await import('./support/variants.js');

async function moduleFor(variant: string | undefined): Promise<Type<unknown>> {
  if (variant === 'a') return variants.bareModule();
  if (variant === 'b') return (await import('./support/variant-doppler.js')).dopplerModule(apiUrl);
  const { AppSecrets, BENCH_TOKEN } = await import('./support/schemas.js');
  if (variant === 'c') {
    const { fetchHandRolled } = await import('./support/hand-rolled.js');
    return variants.fetcherModule(
      variants.HAND_ROLLED_SECRETS,
      fetchHandRolled,
      apiUrl,
      BENCH_TOKEN,
      AppSecrets,
    );
  }
  if (variant === 'd') {
    const { fetchWithSdk } = await import('./support/official-sdk.js');
    return variants.fetcherModule(variants.SDK_SECRETS, fetchWithSdk, apiUrl, BENCH_TOKEN, AppSecrets);
  }
  throw new Error(`unknown variant ${variant}`);
}

const app = await NestFactory.createApplicationContext(await moduleFor(id), {
  logger: false,
  abortOnError: false,
});
const readyMs = performance.now();
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify({ readyMs })}\n`);
await app.close();
process.exit(0);
