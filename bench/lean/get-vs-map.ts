/**
 * `secrets.get(key)` against a `Map.get(key)` over the same keys, in one process, through the
 * public entry point (createSecretsService from nestjs-doppler/testing builds the same service as
 * a bootstrap). Interleaved trials, median of the per-trial ratio (CPU time). `--mode alloc`
 * counts bytes allocated per call in a window with no GC (run with a 256 MB young generation and
 * --expose-gc), with a control loop that allocates, to show the method sees allocation.
 */
import 'reflect-metadata';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { IsString } from 'class-validator';
import { createSecretsService } from 'nestjs-doppler/testing';
import { emitResult, median, progress } from './harness.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'time' },
    calls: { type: 'string', default: '10000000' },
    trials: { type: 'string', default: '15' },
  },
});
const CALLS = Number(args.calls);
const TRIALS = Number(args.trials);

const KEYS = Array.from({ length: 12 }, (_, i) => `KEY_${i}`);
class Twelve {}
for (const key of KEYS) IsString()(Twelve.prototype, key);
const values = Object.fromEntries(KEYS.map((key, i) => [key, `value-${i}-${'x'.repeat(20)}`]));
const service = createSecretsService<Record<string, string>>({ schema: Twelve, values });
const map = new Map<string, unknown>(KEYS.map((key) => [key, service.get(key)]));
const ring = Array.from({ length: 16 }, (_, i) => KEYS[i % KEYS.length]);

let sink: unknown;
const loops = {
  get: (n: number): void => {
    for (let i = 0; i < n; i++) sink = service.get(ring[i & 15]);
  },
  map: (n: number): void => {
    for (let i = 0; i < n; i++) sink = map.get(ring[i & 15]);
  },
  control: (n: number): void => {
    for (let i = 0; i < n; i++) sink = { i };
  },
};

function cpuNs(loop: (n: number) => void, n: number): number {
  const c0 = process.cpuUsage();
  loop(n);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

async function allocated(
  loop: (n: number) => void,
  n: number,
): Promise<{ bytesPerCall: number; gcs: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  let gcs = 0;
  const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  gcs = 0;
  const h0 = process.memoryUsage().heapUsed;
  loop(n);
  const h1 = process.memoryUsage().heapUsed;
  await new Promise((resolve) => setTimeout(resolve, 20));
  observer.disconnect();
  return { bytesPerCall: (h1 - h0) / n, gcs };
}

async function main(): Promise<void> {
  for (const loop of Object.values(loops)) for (let w = 0; w < 5; w++) loop(1_000_000);
  if (args.mode === 'alloc') {
    const rows = {
      get: await allocated(loops.get, 1_000_000),
      map: await allocated(loops.map, 1_000_000),
      control: await allocated(loops.control, 1_000_000),
    };
    progress(
      `get: ${rows.get.bytesPerCall.toFixed(4)} B/call (control ${rows.control.bytesPerCall.toFixed(1)})`,
    );
    emitResult({ mode: 'alloc', calls: 1_000_000, rows });
    return;
  }
  const ratios: number[] = [];
  const get: number[] = [];
  const mapNs: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    // Alternate which runs first, so drift within a trial favours neither.
    const [a, b] = t % 2 === 0 ? [cpuNs(loops.get, CALLS), cpuNs(loops.map, CALLS)] : [0, 0];
    const [d, c] = t % 2 === 1 ? [cpuNs(loops.map, CALLS), cpuNs(loops.get, CALLS)] : [b, a];
    get.push(c);
    mapNs.push(d);
    ratios.push(c / d);
  }
  if (sink === Symbol.for('never')) progress('');
  const result = {
    mode: 'time',
    calls: CALLS,
    trials: TRIALS,
    getNsCpu: median(get),
    mapNsCpu: median(mapNs),
    ratio: median(ratios),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
  };
  progress(
    `get: ${result.getNsCpu.toFixed(2)} ns vs Map ${result.mapNsCpu.toFixed(2)} ns: x${result.ratio.toFixed(3)}`,
  );
  emitResult(result);
}

await main();
