import { PerformanceObserver } from 'node:perf_hooks';
import { median } from './stats.js';

/**
 * Timing and allocation helpers shared by the micro-benchmarks.
 *
 * CPU time (process.cpuUsage) is reported beside wall time: on a shared machine a
 * single-threaded loop loses time slices to other processes, which inflates wall time
 * but not the CPU time the loop actually used.
 */
export interface StepTiming {
  /** Median wall milliseconds per call. */
  readonly wallMs: number;
  /** Median CPU milliseconds (user + system) per call. */
  readonly cpuMs: number;
  readonly samples: number;
  readonly callsPerSample: number;
}

/** Times `step` in batches of at least ~10 ms (so CPU time's microsecond clock is fine enough). */
export function timeStep(step: () => unknown, budgetMs: number, minSamples = 5): StepTiming {
  for (let w = 0; w < 3; w++) step();
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) step();
    if (performance.now() - t0 >= 10 || batch >= 1 << 20) break;
    batch *= 2;
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  const started = performance.now();
  while (wall.length < minSamples || (performance.now() - started < budgetMs && wall.length < 500)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) step();
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    wall.push(dt / batch);
    cpu.push((c.user + c.system) / 1000 / batch);
  }
  return { wallMs: median(wall), cpuMs: median(cpu), samples: wall.length, callsPerSample: batch };
}

const gc = (globalThis as { gc?: () => void }).gc;

let gcCount = 0;
let observing = false;

function observeGc(): void {
  if (observing) return;
  observing = true;
  new PerformanceObserver((list) => {
    gcCount += list.getEntries().length;
  }).observe({ entryTypes: ['gc'] });
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

export interface Allocation {
  /** Bytes allocated per call. */
  readonly bytesPerCall: number;
  /** Collections inside the window; anything but 0 makes bytesPerCall a lower bound. */
  readonly gcs: number;
}

/**
 * Bytes allocated per call, exactly, when no GC runs inside the window. Node 20 has no
 * cumulative allocation counter (v8.getHeapStatistics() lacks total_allocated_bytes), and
 * a heapUsed delta is wrong once a scavenge frees part of what was allocated; so the
 * process must run with a young generation large enough for the window
 * (--min-semi-space-size/--max-semi-space-size), and the gc entries are counted to prove
 * none ran. Results are kept alive in `keep` when `retain` is set, so escape analysis
 * cannot remove an allocation the real caller would make.
 */
export async function allocationPerCall(
  loop: (calls: number, keep: unknown[]) => void,
  calls: number,
): Promise<Allocation> {
  if (gc === undefined) throw new Error('run with --expose-gc');
  observeGc();
  const keep: unknown[] = [];
  keep.length = 0;
  gc();
  gc();
  await settle(); // the observer reports the forced collections asynchronously
  const before = gcCount;
  const h0 = process.memoryUsage().heapUsed;
  loop(calls, keep);
  const h1 = process.memoryUsage().heapUsed;
  await settle();
  return { bytesPerCall: (h1 - h0) / calls, gcs: gcCount - before };
}

/** Bytes retained per object built by `build`, after full collections. */
export function retainedPerObject(build: () => unknown, count: number): number {
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
  const h0 = process.memoryUsage().heapUsed;
  const keep: unknown[] = [];
  for (let i = 0; i < count; i++) keep.push(build());
  gc();
  gc();
  const h1 = process.memoryUsage().heapUsed;
  return keep.length === count ? (h1 - h0) / count : Number.NaN;
}

/** Node flags for processes that measure allocation. */
export const ALLOCATION_FLAGS: readonly string[] = [
  '--expose-gc',
  '--min-semi-space-size=256',
  '--max-semi-space-size=256',
];
