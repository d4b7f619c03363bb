/** Counting what a simulated fleet did, from the emulator's request log and per-replica times. */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { EmulatorRequest } from 'nestjs-doppler/testing';
import { maxOf, quantile } from './stats.js';

/** Requests by HTTP status. */
export function countByStatus(requests: readonly EmulatorRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[String(r.status)] = (counts[String(r.status)] ?? 0) + 1;
  return counts;
}

/** Most requests in any 60-second window. */
export function peakPerMinute(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= 60_000) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

export interface Spread {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Percentiles of what happened; NaN where nothing did. */
export function spread(values: readonly number[]): Spread {
  return {
    count: values.length,
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    p99: quantile(values, 0.99),
    max: maxOf(values, Number.NaN),
  };
}

/** Where scratch files go: memory-backed when the machine has it, as a pod's volumes would be. */
export function scratchRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}
