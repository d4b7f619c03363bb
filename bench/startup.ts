/**
 * Section 1: start-up to ready. Runs in one process, the four variants interleaved in a
 * rotating order every round, against the emulator in another process (so its CPU time
 * is not ours). Each run: drop keep-alive sockets (a new process has none), gc(), then
 * time NestFactory.createApplicationContext() until it resolves (providers built,
 * lifecycle hooks run), then close the context (not timed).
 *
 * A second, smaller part starts each variant in a fresh Node process, which adds what the
 * in-process numbers cannot see: loading the modules.
 */
import 'reflect-metadata';
import { globalAgent } from 'node:http';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { SecretsService } from 'nestjs-doppler';
import { emitResult, EmulatorHost, progress, RESULT_PREFIX, scriptPath } from './support/child.js';
import { AppSecrets, BENCH_TOKEN, benchSeed } from './support/schemas.js';
import { bootstrapInterval, median, quantile } from './support/stats.js';
import { fetchHandRolled } from './support/hand-rolled.js';
import { fetchWithSdk } from './support/official-sdk.js';
import { dopplerModule, loaderOnlyModule } from './support/variant-doppler.js';
import {
  bareModule,
  fetcherModule,
  HAND_ROLLED_SECRETS,
  LOADER_SECRETS,
  SDK_SECRETS,
  VARIANT_LABELS,
  type VariantId,
} from './support/variants.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '30' },
    cold: { type: 'string', default: '12' },
  },
});
const ROUNDS = Number(args.rounds);
const WARMUP = Number(args.warmup);
const COLD_RUNS = Number(args.cold);
const IDS: readonly VariantId[] = ['a', 'b', 'c', 'd', 'e'];
/** Cold starts cover the four variants the issue asks for; (e) is an in-process diagnostic. */
const COLD_IDS: readonly VariantId[] = ['a', 'b', 'c', 'd'];

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

interface Run {
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function timeOne(module: Type<unknown>): Promise<Run & { app: INestApplicationContext }> {
  // A fresh process has no pooled connection to Doppler; neither does a run here.
  globalAgent.destroy();
  gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const app = await NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, app };
}

/** Checks once that every variant really fetched and validated the secrets. */
async function sanity(modules: Readonly<Record<VariantId, Type<unknown>>>): Promise<void> {
  for (const id of IDS) {
    const { app } = await timeOne(modules[id]);
    if (id === 'b') {
      const port = app
        .get(SecretsService<AppSecrets>)
        .get('PORT')
        .reveal();
      if (port !== 3000) throw new Error('(b) did not load PORT');
    }
    if (id === 'c' && app.get<AppSecrets>(HAND_ROLLED_SECRETS).PORT !== 3000) throw new Error('(c) failed');
    if (id === 'd' && app.get<AppSecrets>(SDK_SECRETS).PORT !== 3000) throw new Error('(d) failed');
    if (id === 'e' && app.get<SecretsService<AppSecrets>>(LOADER_SECRETS).get('PORT').reveal() !== 3000) {
      throw new Error('(e) failed');
    }
    await app.close();
  }
}

/** Round r runs the variants rotated by r, reversed every other block of four. */
function orderOf(round: number, ids: readonly VariantId[] = IDS): VariantId[] {
  const rotated = ids.map((_, i) => ids[(i + round) % ids.length]);
  return Math.floor(round / ids.length) % 2 === 1 ? rotated.reverse() : rotated;
}

async function coldRun(id: VariantId, apiUrl: string): Promise<number> {
  const script = scriptPath('./startup-cold.js', import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, id, apiUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) return reject(new Error(`cold ${id} exited ${code}`));
      resolve((JSON.parse(line.slice(RESULT_PREFIX.length)) as { readyMs: number }).readyMs);
    });
  });
}

async function main(): Promise<void> {
  const host = await EmulatorHost.start({ seed: benchSeed() });
  const apiUrl = host.directUrl;
  const modules: Record<VariantId, Type<unknown>> = {
    a: bareModule(),
    b: dopplerModule(apiUrl),
    c: fetcherModule(HAND_ROLLED_SECRETS, fetchHandRolled, apiUrl, BENCH_TOKEN, AppSecrets),
    d: fetcherModule(SDK_SECRETS, fetchWithSdk, apiUrl, BENCH_TOKEN, AppSecrets),
    e: loaderOnlyModule(LOADER_SECRETS, apiUrl),
  };
  await sanity(modules);

  const runs: Record<VariantId, Run>[] = [];
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const row = {} as Record<VariantId, Run>;
    for (const id of orderOf(round)) {
      const { app, ...run } = await timeOne(modules[id]);
      await app.close();
      row[id] = run;
    }
    if (round >= WARMUP) runs.push(row);
    if ((round + 1) % 50 === 0) progress(`start-up: round ${round + 1}/${WARMUP + ROUNDS}`);
  }

  const col = (id: VariantId, k: keyof Run): number[] => runs.map((r) => r[id][k]);
  const med = (id: VariantId, k: keyof Run = 'wallMs'): number => median(col(id, k));
  const variants = IDS.map((id) => ({
    id,
    label: VARIANT_LABELS[id],
    medianMs: med(id),
    p25Ms: quantile(col(id, 'wallMs'), 0.25),
    p75Ms: quantile(col(id, 'wallMs'), 0.75),
    medianCpuMs: med(id, 'cpuMs'),
  }));

  // Added cost over the bare context, per round (paired), then the median.
  const added = (rows: readonly Record<VariantId, Run>[], id: VariantId): number =>
    median(rows.map((r) => r[id].wallMs - r.a.wallMs));
  const ratio = (x: VariantId, y: VariantId) => (rows: readonly Record<VariantId, Run>[]) =>
    added(rows, x) / added(rows, y);
  const total = (x: VariantId, y: VariantId) => (rows: readonly Record<VariantId, Run>[]) =>
    median(rows.map((r) => r[x].wallMs)) / median(rows.map((r) => r[y].wallMs));

  const result = {
    rounds: ROUNDS,
    warmup: WARMUP,
    variants,
    addedMs: { b: added(runs, 'b'), c: added(runs, 'c'), d: added(runs, 'd'), e: added(runs, 'e') },
    ratios: {
      addedBoverC: { value: ratio('b', 'c')(runs), ci95: bootstrapInterval(runs, ratio('b', 'c')) },
      addedBoverD: { value: ratio('b', 'd')(runs), ci95: bootstrapInterval(runs, ratio('b', 'd')) },
      totalBoverC: { value: total('b', 'c')(runs), ci95: bootstrapInterval(runs, total('b', 'c')) },
      totalBoverA: { value: total('b', 'a')(runs), ci95: bootstrapInterval(runs, total('b', 'a')) },
      totalCoverA: { value: total('c', 'a')(runs), ci95: bootstrapInterval(runs, total('c', 'a')) },
      totalDoverA: { value: total('d', 'a')(runs), ci95: bootstrapInterval(runs, total('d', 'a')) },
      addedEoverC: { value: ratio('e', 'c')(runs), ci95: bootstrapInterval(runs, ratio('e', 'c')) },
    },
    /** (b - e): DopplerModule's Nest wiring; (e - c): the library's fetch path over the hand-rolled one. */
    diagnostic: {
      wiringMs: median(runs.map((r) => r.b.wallMs - r.e.wallMs)),
      fetchPathMs: median(runs.map((r) => r.e.wallMs - r.c.wallMs)),
    },
    cold: [] as {
      id: VariantId;
      label: string;
      runs: number;
      medianMs: number;
      p25Ms: number;
      p75Ms: number;
    }[],
    coldRatios: undefined as
      | {
          addedBoverC: { value: number; ci95: [number, number] };
          addedBoverD: { value: number; ci95: [number, number] };
        }
      | undefined,
  };

  if (COLD_RUNS > 0) {
    const cold: Record<VariantId, number[]> = { a: [], b: [], c: [], d: [], e: [] };
    for (let round = 0; round < COLD_RUNS; round++) {
      for (const id of orderOf(round, COLD_IDS)) cold[id].push(await coldRun(id, apiUrl));
    }
    progress(`start-up: ${COLD_RUNS} cold rounds done`);
    result.cold = COLD_IDS.map((id) => ({
      id,
      label: VARIANT_LABELS[id],
      runs: COLD_RUNS,
      medianMs: median(cold[id]),
      p25Ms: quantile(cold[id], 0.25),
      p75Ms: quantile(cold[id], 0.75),
    }));
    // Rounds are interleaved, so the same pairing and resampling as in-process apply.
    const rows = cold.a.map((_, i) => ({ a: cold.a[i], b: cold.b[i], c: cold.c[i], d: cold.d[i] }));
    const coldRatio = (x: string, y: string) => (sample: readonly Record<string, number>[]) =>
      median(sample.map((r) => r[x] - r['a'])) / median(sample.map((r) => r[y] - r['a']));
    result.coldRatios = {
      addedBoverC: { value: coldRatio('b', 'c')(rows), ci95: bootstrapInterval(rows, coldRatio('b', 'c')) },
      addedBoverD: { value: coldRatio('b', 'd')(rows), ci95: bootstrapInterval(rows, coldRatio('b', 'd')) },
    };
  }
  await host.stop();
  emitResult(result);
}

await main();
