/** Small, dependency-free statistics for the benchmarks. */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;
}

/** A deterministic PRNG (mulberry32), so resampling and simulations are repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Percentile bootstrap confidence interval of a statistic computed over paired rounds.
 * `rows` are resampled as whole rounds, so the pairing (same round, same machine state) is kept.
 */
export function bootstrapInterval<T>(
  rows: readonly T[],
  statistic: (sample: readonly T[]) => number,
  { resamples = 2000, level = 0.95, seed = 1 }: { resamples?: number; level?: number; seed?: number } = {},
): [number, number] {
  const random = seededRandom(seed);
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const sample: T[] = [];
    for (let i = 0; i < rows.length; i++) sample.push(rows[Math.floor(random() * rows.length)]);
    stats.push(statistic(sample));
  }
  const tail = (1 - level) / 2;
  return [quantile(stats, tail), quantile(stats, 1 - tail)];
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Math.max over any number of values (spreading a large array overflows the stack). */
export function maxOf(values: readonly number[], empty = 0): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > max) max = v;
  return values.length === 0 ? empty : max;
}
