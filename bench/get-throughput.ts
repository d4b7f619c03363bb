/**
 * Section 2: `secrets.get(key)` throughput and bytes allocated per call.
 *
 * `--mode time`: a tight loop over 16 key references (the schema's 12 keys, repeated),
 * timed with hrtime and with process.cpuUsage (a contended machine steals wall time, not
 * CPU time), median of several trials after a warm-up. Rates are reads per second.
 *
 * `--mode alloc`: bytes allocated per call in a no-GC window (see allocationPerCall in
 * support/measure.ts; run with ALLOCATION_FLAGS). A control loop that allocates one small
 * object per call shows the method sees allocation when there is some.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createSecretsService } from 'nestjs-doppler/testing';
import { emitResult, progress } from './support/child.js';
import { allocationPerCall } from './support/measure.js';
import { APP_SECRET_VALUES, AppSecrets, generatedSchema, keyName } from './support/schemas.js';
import { median } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'time' },
    calls: { type: 'string', default: '20000000' },
    trials: { type: 'string', default: '7' },
    allocCalls: { type: 'string', default: '1000000' },
  },
});
const CALLS = Number(args.calls);
const TRIALS = Number(args.trials);
const ALLOC_CALLS = Number(args.allocCalls);

// Built as the app's own tests build one: validated against the schema, as at bootstrap.
const metadata = { source: 'doppler-api' as const, project: 'bench', config: 'prd' };
const small = createSecretsService<AppSecrets>({ schema: AppSecrets, values: APP_SECRET_VALUES, metadata });
const smallKeys = Object.keys(APP_SECRET_VALUES) as (keyof AppSecrets)[];
const ring = Array.from({ length: 16 }, (_, i) => smallKeys[i % smallKeys.length]);

const bigSchema = generatedSchema(1000);
const big = createSecretsService<Record<string, string>>({
  schema: bigSchema.schema,
  values: bigSchema.values,
  metadata,
});
const bigRing = Array.from({ length: 16 }, (_, i) => keyName((i * 61) % 1000));

const plainObject: Readonly<Record<string, unknown>> = Object.freeze({ ...APP_SECRET_VALUES });
const plainMap = new Map<string, unknown>(Object.entries(APP_SECRET_VALUES));
const stringRing = ring as readonly string[];

let sink: unknown;

/** Each loop is its own function so V8 optimises each on its own. */
const loops: Readonly<Record<string, (n: number, keep?: unknown[]) => void>> = {
  'service.get(key)': (n) => {
    for (let i = 0; i < n; i++) sink = small.get(ring[i & 15]);
  },
  'service.get(key).reveal()': (n) => {
    for (let i = 0; i < n; i++) sink = small.get(ring[i & 15]).reveal();
  },
  'snapshot.get(key)': (n) => {
    const snapshot = small.snapshot();
    for (let i = 0; i < n; i++) sink = snapshot.get(ring[i & 15]);
  },
  'service.get(key), 1,000-key set': (n) => {
    for (let i = 0; i < n; i++) sink = big.get(bigRing[i & 15]);
  },
  'baseline: Map.get(key)': (n) => {
    for (let i = 0; i < n; i++) sink = plainMap.get(stringRing[i & 15]);
  },
  'baseline: frozen object[key]': (n) => {
    for (let i = 0; i < n; i++) sink = plainObject[stringRing[i & 15]];
  },
  'control: allocates {i} per call': (n, keep) => {
    const slots = keep ?? new Array<unknown>(1024);
    for (let i = 0; i < n; i++) slots[i & 1023] = { i };
  },
};

interface Rate {
  readonly wall: number;
  readonly cpu: number;
}

function rate(loop: (n: number) => void, n: number): Rate {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  loop(n);
  const ns = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  return { wall: n / (ns / 1e9), cpu: n / ((c.user + c.system) / 1e6) };
}

async function main(): Promise<void> {
  const rows = [];
  for (const [name, loop] of Object.entries(loops)) {
    for (let w = 0; w < 3; w++) loop(Math.min(CALLS, 2_000_000)); // warm-up: optimise the loop
    if (args.mode === 'time') {
      const rates: Rate[] = [];
      for (let t = 0; t < TRIALS; t++) rates.push(rate(loop, CALLS));
      const wall = median(rates.map((r) => r.wall));
      const cpu = median(rates.map((r) => r.cpu));
      rows.push({ name, readsPerSecondWall: wall, readsPerSecondCpu: cpu, nsPerCallCpu: 1e9 / cpu });
      progress(
        `get: ${name}: ${(wall / 1e6).toFixed(1)} M/s wall, ${(cpu / 1e6).toFixed(1)} M/s per CPU-second`,
      );
    } else {
      const alloc = await allocationPerCall((n, keep) => loop(n, keep), ALLOC_CALLS);
      rows.push({ name, bytesPerCall: alloc.bytesPerCall, gcs: alloc.gcs });
      progress(`get: ${name}: ${alloc.bytesPerCall.toFixed(4)} B/call (${alloc.gcs} GCs in window)`);
    }
  }
  if (sink === Symbol.for('never')) process.stdout.write('');
  emitResult({ mode: args.mode, calls: CALLS, trials: TRIALS, allocCalls: ALLOC_CALLS, rows });
}

await main();
