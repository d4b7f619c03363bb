/**
 * What the lean sections share, kept apart from bench/support so the two can change
 * independently: the result line, progress, order statistics, and the stand-in's process.
 */
import { fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Marks the one line of a section's stdout that carries its JSON result. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

export function emitResult(result: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** Progress goes to stderr, so stdout stays parseable. */
export function progress(text: string): void {
  process.stderr.write(`  ${text}\n`);
}

export function scriptPath(relative: string, from: string): string {
  return fileURLToPath(new URL(relative, from));
}

/**
 * Runs the section script `name` (beside this file) in a Node process of its own and returns the
 * result it printed; `timeoutMs` kills a run that outlasts it.
 */
export function runScript<T>(
  name: string,
  flags: readonly string[],
  args: readonly string[],
  timeoutMs?: number,
): Promise<T> {
  const script = scriptPath(`./${name}.js`, import.meta.url);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...flags, script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      ...(timeoutMs !== undefined && { timeout: timeoutMs }),
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', fail);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) return fail(new Error(`${name} exited with ${code}`));
      done(JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
    });
  });
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = sorted[Math.floor(pos)] ?? Number.NaN;
  const hi = sorted[Math.ceil(pos)] ?? Number.NaN;
  return lo + (hi - lo) * (pos - Math.floor(pos));
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** A deterministic generator in [0, 1) (a linear congruential one), so a rerun draws the same numbers. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** Hands out `items` in a new order at each call (Fisher-Yates on {@link seededRandom}). */
export function seededShuffler<T>(items: readonly T[], seed: number): () => T[] {
  const random = seededRandom(seed);
  return () => {
    const order = [...items];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  };
}

/**
 * Percentile bootstrap interval of a statistic over paired rounds, resampled in runs of
 * consecutive rounds (a circular block bootstrap, blocks of about sqrt(n) rounds): the machine's
 * load drifts over seconds, so neighbouring rounds are alike, and drawing rounds one by one
 * gives an interval narrower than the run supports.
 */
export function bootstrap<T>(
  rows: readonly T[],
  statistic: (sample: readonly T[]) => number,
): [number, number] {
  const random = seededRandom(1);
  const block = Math.max(1, Math.round(Math.sqrt(rows.length)));
  const stats: number[] = [];
  for (let r = 0; r < 1000; r++) {
    const sample: T[] = [];
    while (sample.length < rows.length) {
      const start = Math.floor(random() * rows.length);
      for (let i = 0; i < block && sample.length < rows.length; i++)
        sample.push(rows[(start + i) % rows.length]);
    }
    stats.push(statistic(sample));
  }
  return [quantile(stats, 0.025), quantile(stats, 0.975)];
}

/** The emulator in a child process (see stand-in.ts), serving `seed`. */
export async function startStandIn(seed: unknown): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = fork(scriptPath('./stand-in.js', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [], // not the measuring process's flags (--cpu-prof would profile the stand-in too)
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
    child.once('message', (message: { url: string }) => resolve(message.url));
    child.send(seed as object);
  });
  child.removeAllListeners('exit');
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A service token and the seed that serves `secrets` to it at lean/prd. */
export const LEAN_TOKEN = 'dp.st.prd.lean0123456789abcdefghijklmnopqrstuvw';

export function leanSeed(secrets: Readonly<Record<string, string>>): unknown {
  return {
    projects: { lean: { configs: { prd: { secrets } } } },
    tokens: [{ token: LEAN_TOKEN, project: 'lean', config: 'prd' }],
  };
}
