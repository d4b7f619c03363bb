/**
 * Section 5: fleet simulation. N replicas start within a few seconds against one
 * DopplerEmulator limited like Doppler (per-token sliding window, 429 with retry-after),
 * all with the same service token, as a fleet of one service shares one config's token.
 *
 * Model. Each replica runs the library's real fetch path over real loopback HTTP: a
 * DopplerClient and downloadWithRetries (the loop SecretsLoader.bootstrap uses) with its
 * backoff, jitter, retry-after handling and deadline, then validateSecrets; for refresh,
 * the real SecretsLoader, SecretsService and SecretsRefresher (timer, jitter, failure
 * backoff). Time is virtual (support/virtual-clock.ts): a request takes zero virtual time,
 * waits and deadlines are exact, and 30 simulated minutes take seconds. What is modelled
 * rather than run:
 * - the fallback copy: a replica whose download loop ends with a retryable error (429,
 *   5xx, timeout, connection) boots from its copy, exactly the rule in
 *   SecretsLoader.fetchAtBootstrap; every replica is assumed to hold a valid copy (a
 *   restart of an existing fleet; a brand-new fleet has none and gets the "without"
 *   column). Reading the copy (PBKDF2, 500,000 rounds) starts beside the download, so a
 *   fallback boot is ready at max(loop end, read time); the read time is measured once,
 *   for real, on this machine, before the simulation;
 * - a request's own timeout cannot fire (requests take no virtual time), so the
 *   per-request deadline is handed to the real client as a generous real one; the count
 *   of timeouts is reported and must be 0.
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DopplerClient, type DownloadRequest, type DownloadResult } from '../lib/client/doppler-client.js';
import { DopplerError } from '../lib/errors/doppler.errors.js';
import { DEFAULT_DEADLINE_MS, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../lib/doppler.constants.js';
import { downloadWithRetries } from '../lib/client/download-with-retries.js';
import { FallbackStore } from '../lib/fallback/fallback-store.js';
import { systemClock } from '../lib/core/clock.js';
import { ScopePin } from '../lib/core/scope-pin.js';
import { SecretsRefresher } from '../lib/refresh/secrets-refresher.js';
import { SecretsState } from '../lib/refresh/secrets-state.js';
import { serviceFor, type SecretsService } from '../lib/secrets.service.js';
import { ApiSource } from '../lib/sources/api.source.js';
import { DopplerEmulator } from '../lib/testing/doppler-emulator.js';
import type { EmulatorRequest } from '../lib/testing/emulator-request-log.js';
import type { EmulatorSeed } from '../lib/testing/emulator-seed.js';
import { resolveModuleOptions, resolveOptions } from '../lib/utils/resolve-options.js';
import { validateSecrets, validateSecretsSync } from '../lib/validation/validate-secrets.js';
import { emitResult, progress } from './support/child.js';
import {
  APP_SECRET_VALUES,
  AppSecrets,
  BENCH_CONFIG,
  BENCH_PROJECT,
  BENCH_TOKEN,
  benchSeed,
} from './support/schemas.js';
import { SilentLogger } from './support/silent-logger.js';
import { maxOf, median, quantile, seededRandom } from './support/stats.js';
import { VirtualClock } from './support/virtual-clock.js';

const { values: args } = parseArgs({
  options: {
    replicas: { type: 'string', default: '1000' },
    rpm: { type: 'string', default: '240' },
    spread: { type: 'string', default: '10000' },
    outageReplicas: { type: 'string', default: '200' },
    refreshMinutes: { type: 'string', default: '30' },
    only: { type: 'string', default: 'boot,outage,refresh' },
  },
});
const REPLICAS = Number(args.replicas);
const RPM = Number(args.rpm);
const SPREAD_MS = Number(args.spread);
const OUTAGE_REPLICAS = Number(args.outageReplicas);
const REFRESH_MINUTES = Number(args.refreshMinutes);
const ONLY = new Set(args.only.split(','));
const REAL_TIMEOUT_MS = 30_000;

const SEED = benchSeed() as EmulatorSeed;
const clock = new VirtualClock();

// Every request goes through the clock, so virtual time waits for it; attempts are counted per client.
const attemptsByClient = new WeakMap<DopplerClient, number>();
let timeouts = 0;
// eslint-disable-next-line @typescript-eslint/unbound-method -- called below with .call(this)
const originalDownload = DopplerClient.prototype.download;
DopplerClient.prototype.download = function (
  this: DopplerClient,
  request: DownloadRequest = {},
): Promise<DownloadResult> {
  attemptsByClient.set(this, (attemptsByClient.get(this) ?? 0) + 1);
  return clock.track(async () => {
    try {
      return await originalDownload.call(this, { ...request, timeout: REAL_TIMEOUT_MS });
    } catch (error: unknown) {
      if (error instanceof DopplerError && error.code === 'DOPPLER_TIMEOUT') timeouts++;
      throw error;
    }
  });
};

export interface BootPolicy {
  readonly name: string;
  readonly retries: number;
  readonly deadline: number;
  readonly timeout: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

interface BootOutcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly retryable?: boolean;
  readonly elapsedMs: number;
  readonly attempts: number;
}

async function bootReplica(apiUrl: string, policy: BootPolicy, random: () => number): Promise<BootOutcome> {
  const started = clock.now;
  const options = {
    token: BENCH_TOKEN,
    apiUrl,
    schema: AppSecrets,
    retries: policy.retries,
    deadline: policy.deadline,
    timeout: policy.timeout,
  };
  const client = new DopplerClient(resolveOptions(options));
  const attempts = (): number => attemptsByClient.get(client) ?? 0;
  try {
    const download = await downloadWithRetries(client, {
      retries: policy.retries,
      deadline: policy.deadline,
      timeout: policy.timeout,
      ...(policy.baseDelayMs !== undefined && { baseDelayMs: policy.baseDelayMs }),
      ...(policy.maxDelayMs !== undefined && { maxDelayMs: policy.maxDelayMs }),
      random,
    });
    if (download.kind !== 'secrets') throw new Error('unexpected 304 at bootstrap');
    await validateSecrets(AppSecrets, download.secrets);
    return { ok: true, elapsedMs: clock.now - started, attempts: attempts() };
  } catch (error: unknown) {
    if (!(error instanceof DopplerError)) throw error;
    return {
      ok: false,
      code: error.code,
      retryable: error.retryable,
      elapsedMs: clock.now - started,
      attempts: attempts(),
    };
  }
}

function countBy(requests: readonly EmulatorRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[String(r.status)] = (counts[String(r.status)] ?? 0) + 1;
  return counts;
}

/** Most requests in any 60-second window. */
function peakPerMinute(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= 60_000) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

interface BootScenario {
  readonly replicas: number;
  readonly spreadMs: number;
  readonly rpm: number;
  /** Doppler answers 503 to every request for this long from the start. */
  readonly outageMs?: number;
  readonly seed: number;
}

async function runBoot(policy: BootPolicy, scenario: BootScenario, fallbackReadMs: number) {
  const emulator = new DopplerEmulator(SEED, { rateLimit: { requestsPerMinute: scenario.rpm } });
  const apiUrl = await emulator.start();
  const t0 = clock.now;
  const random = seededRandom(scenario.seed);
  const outcomes: (BootOutcome & { startAt: number })[] = [];
  const pending: Promise<void>[] = [];
  if (scenario.outageMs !== undefined) {
    emulator.setFault({ kind: 'status', status: 503 });
    clock.schedule(scenario.outageMs, () => emulator.setFault(undefined));
  }
  for (let i = 0; i < scenario.replicas; i++) {
    const startAt = random() * scenario.spreadMs;
    clock.schedule(startAt, () => {
      pending.push(bootReplica(apiUrl, policy, random).then((o) => void outcomes.push({ ...o, startAt })));
    });
  }
  await clock.runUntil(Number.POSITIVE_INFINITY);
  await Promise.all(pending);
  const requests = emulator.requests;
  await emulator.stop();

  const fresh = outcomes.filter((o) => o.ok);
  const failed = outcomes.filter((o) => !o.ok);
  const fallbackServes = failed.filter((o) => o.retryable === true);
  const readyFresh = fresh.map((o) => o.elapsedMs);
  const readyWithFallback = [
    ...readyFresh,
    ...fallbackServes.map((o) => Math.max(o.elapsedMs, fallbackReadMs)),
  ];
  const codes: Record<string, number> = {};
  for (const o of failed) codes[o.code ?? '?'] = (codes[o.code ?? '?'] ?? 0) + 1;
  return {
    policy,
    replicas: scenario.replicas,
    bootedWithoutFallback: fresh.length,
    bootedWithFallback: fresh.length + fallbackServes.length,
    failedCodes: codes,
    readyMsWithout: {
      p50: quantile(readyFresh, 0.5),
      p95: quantile(readyFresh, 0.95),
      max: maxOf(readyFresh),
    },
    readyMsWith: {
      p50: quantile(readyWithFallback, 0.5),
      p95: quantile(readyWithFallback, 0.95),
      max: maxOf(readyWithFallback),
    },
    attempts: {
      mean: outcomes.reduce((s, o) => s + o.attempts, 0) / outcomes.length,
      max: maxOf(outcomes.map((o) => o.attempts)),
    },
    requests: requests.length,
    requestsByStatus: countBy(requests),
    peakRequestsPerMinute: peakPerMinute(requests.map((r) => r.at.getTime())),
    lastRequestAtMs: maxOf(requests.map((r) => r.at.getTime() - t0)),
  };
}

interface RefreshScenario {
  readonly intervalMs: number;
  readonly jitter: number;
  readonly replicas: number;
  readonly spreadMs: number;
  readonly rpm: number;
  readonly durationMs: number;
  readonly seed: number;
  /**
   * Not a library option: delays each replica's refresher.start() by a uniform random
   * fraction of the interval, to show what a random first delay would do.
   */
  readonly randomPhase?: boolean;
}

async function currentEtag(): Promise<string> {
  const emulator = new DopplerEmulator(SEED);
  const apiUrl = await emulator.start();
  const download = await new DopplerClient(resolveOptions({ token: BENCH_TOKEN, apiUrl })).download();
  await emulator.stop();
  if (download.kind !== 'secrets' || download.etag === undefined) throw new Error('no etag');
  return download.etag;
}

async function runRefresh(scenario: RefreshScenario, etag: string) {
  const emulator = new DopplerEmulator(SEED, { rateLimit: { requestsPerMinute: scenario.rpm } });
  const apiUrl = await emulator.start();
  const t0 = clock.now;
  const random = seededRandom(scenario.seed);
  const values = validateSecretsSync(AppSecrets, APP_SECRET_VALUES);
  const services: SecretsService[] = [];
  const refreshers: SecretsRefresher[] = [];
  const changeAt = t0 + Math.round(scenario.durationMs / 2);
  const appliedAt: (number | undefined)[] = new Array<number | undefined>(scenario.replicas).fill(undefined);
  const logger = new SilentLogger();

  for (let i = 0; i < scenario.replicas; i++) {
    const startAt = random() * scenario.spreadMs;
    const resolved = resolveModuleOptions({
      token: BENCH_TOKEN,
      apiUrl,
      schema: AppSecrets,
      refresh: { interval: scenario.intervalMs, jitter: scenario.jitter },
    });
    clock.schedule(startAt, () => {
      // The replica booted at startAt with the current set (its ETag), then refreshes on its timer.
      const metadata = {
        source: 'doppler-api' as const,
        fetchedAt: new Date(),
        etag,
        project: BENCH_PROJECT,
        config: BENCH_CONFIG,
      };
      const state = new SecretsState({ values, metadata, raw: APP_SECRET_VALUES, rawForms: [] });
      const service = serviceFor(state);
      service.changes.subscribe(() => {
        if (appliedAt[i] === undefined && clock.now >= changeAt) appliedAt[i] = clock.now;
      });
      const pin = new ScopePin({}, BENCH_TOKEN);
      const source = new ApiSource(resolved, pin, systemClock, logger);
      const refresher = new SecretsRefresher(
        state as unknown as SecretsState<object>,
        source,
        { ...resolved, scope: {} },
        pin,
        { clock: systemClock, logger, random },
      );
      services.push(service);
      refreshers.push(refresher);
      if (scenario.randomPhase === true)
        clock.schedule(random() * scenario.intervalMs, () => refresher.start());
      else refresher.start();
    });
  }
  clock.schedule(changeAt - clock.now, () =>
    emulator.setSecret(BENCH_PROJECT, BENCH_CONFIG, 'PAYMENTS_API_KEY', 'pk_live_rotated_0000000000000'),
  );

  // Age of each replica's set: time since Doppler last confirmed it (a 304 or a 200).
  const ages: number[] = [];
  const sampleEvery = 10_000;
  const steadyFrom = t0 + Math.round(scenario.durationMs / 3);
  const sample = (): void => {
    if (clock.now >= steadyFrom) {
      for (const service of services) ages.push(clock.now - (service.status.lastSuccessAt?.getTime() ?? t0));
    }
    if (clock.now + sampleEvery <= t0 + scenario.durationMs) clock.schedule(sampleEvery, sample);
  };
  clock.schedule(sampleEvery, sample);

  await clock.runUntil(t0 + scenario.durationMs);
  for (const refresher of refreshers) void refresher.stop();
  const requests = emulator.requests;
  await emulator.stop();

  const steady = requests.filter((r) => r.at.getTime() >= steadyFrom);
  const steadyMinutes = (t0 + scenario.durationMs - steadyFrom) / 60_000;
  const firstTen = requests.filter((r) => r.at.getTime() < t0 + 10 * 60_000);
  const delays = appliedAt.filter((a): a is number => a !== undefined).map((a) => a - changeAt);
  const limited = (list: readonly EmulatorRequest[]): number => list.filter((r) => r.status === 429).length;
  return {
    intervalMs: scenario.intervalMs,
    jitter: scenario.jitter,
    randomPhase: scenario.randomPhase === true,
    replicas: scenario.replicas,
    durationMs: scenario.durationMs,
    requests: requests.length,
    requestsPerMinuteSteady: steady.length / steadyMinutes,
    share429Steady: steady.length === 0 ? 0 : limited(steady) / steady.length,
    requestsFirst10Min: firstTen.length,
    share429First10Min: firstTen.length === 0 ? 0 : limited(firstTen) / firstTen.length,
    peakRequestsPerMinute: peakPerMinute(requests.map((r) => r.at.getTime())),
    ageMs: { p50: quantile(ages, 0.5), p99: quantile(ages, 0.99), max: maxOf(ages) },
    propagation: {
      applied: delays.length,
      p50Ms: quantile(delays, 0.5),
      p99Ms: quantile(delays, 0.99),
      maxMs: maxOf(delays, Number.NaN),
      notAppliedByEnd: scenario.replicas - delays.length,
    },
  };
}

/** Real time to read (and decrypt) a fallback copy with a fresh key cache: the PBKDF2 cost. */
async function measureFallbackRead(): Promise<{ medianMs: number; runs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'nestjs-doppler-bench-'));
  try {
    const options = {
      path: join(dir, 'fallback.enc'),
      passphrase: 'bench-passphrase',
      expectedScope: { project: BENCH_PROJECT, config: BENCH_CONFIG },
    };
    await new FallbackStore(options).write(APP_SECRET_VALUES, {
      project: BENCH_PROJECT,
      config: BENCH_CONFIG,
    });
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await new FallbackStore(options).read();
      times.push(performance.now() - t0);
    }
    return { medianMs: median(times), runs: times.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// The library's own defaults, so a later change of them shows up here by itself.
const CURRENT: Omit<BootPolicy, 'name'> = {
  retries: DEFAULT_RETRIES,
  deadline: DEFAULT_DEADLINE_MS,
  timeout: DEFAULT_TIMEOUT_MS,
};

export const BOOT_POLICIES: readonly BootPolicy[] = [
  { name: 'current defaults', ...CURRENT },
  { name: 'retries 2 (the first default)', retries: 2, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 0', retries: 0, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 5', retries: 5, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 5, deadline 30 s', retries: 5, deadline: 30_000, timeout: 5_000 },
  { name: 'retries 5, deadline 60 s', retries: 5, deadline: 60_000, timeout: 5_000 },
  { name: 'retries 5, deadline 75 s', retries: 5, deadline: 75_000, timeout: 5_000 },
  { name: 'retries 10, deadline 150 s', retries: 10, deadline: 150_000, timeout: 5_000 },
  { name: 'retries 10, deadline 300 s', retries: 10, deadline: 300_000, timeout: 5_000 },
];

export const OUTAGE_POLICIES: readonly BootPolicy[] = [
  { name: 'current defaults', ...CURRENT },
  { name: 'retries 2 (the first default)', retries: 2, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 3', retries: 3, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 4', retries: 4, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 5', retries: 5, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 6', retries: 6, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 6, deadline 30 s', retries: 6, deadline: 30_000, timeout: 5_000 },
];

/**
 * [interval ms, jitter, an extra random start delay]. Since the defaults changed, the
 * refresher itself makes its first check at a random point of the first interval; the extra
 * delay row shows that adding another changes nothing.
 */
export const REFRESH_SETTINGS: readonly [number, number, boolean][] = [
  [30_000, 0.1, false],
  [60_000, 0.1, false],
  [120_000, 0.1, false],
  [300_000, 0, false],
  [300_000, 0.1, false],
  [300_000, 0.5, false],
  [300_000, 0.1, true],
  [600_000, 0.1, false],
  [600_000, 0.5, false],
];

async function main(): Promise<void> {
  const fallbackRead = await measureFallbackRead();
  progress(`fleet: fallback copy read (PBKDF2 500k rounds) ${fallbackRead.medianMs.toFixed(0)} ms`);
  const etag = await currentEtag();
  clock.install();
  const result = {
    replicas: REPLICAS,
    rpm: RPM,
    spreadMs: SPREAD_MS,
    fallbackReadMs: fallbackRead.medianMs,
    boot: [] as Awaited<ReturnType<typeof runBoot>>[],
    outage: { replicas: OUTAGE_REPLICAS, outageMs: 8_000, rows: [] as Awaited<ReturnType<typeof runBoot>>[] },
    refresh: [] as Awaited<ReturnType<typeof runRefresh>>[],
    timeouts: 0,
    realSeconds: 0,
  };
  const started = performance.now();
  if (ONLY.has('boot')) {
    for (const policy of BOOT_POLICIES) {
      const row = await runBoot(
        policy,
        { replicas: REPLICAS, spreadMs: SPREAD_MS, rpm: RPM, seed: 42 },
        fallbackRead.medianMs,
      );
      result.boot.push(row);
      progress(
        `fleet boot: ${policy.name}: ${row.bootedWithoutFallback}/${REPLICAS} without fallback, ` +
          `${row.bootedWithFallback} with; ${row.requests} requests`,
      );
    }
  }
  if (ONLY.has('outage')) {
    for (const policy of OUTAGE_POLICIES) {
      const row = await runBoot(
        policy,
        { replicas: OUTAGE_REPLICAS, spreadMs: SPREAD_MS, rpm: RPM, outageMs: 8_000, seed: 7 },
        fallbackRead.medianMs,
      );
      result.outage.rows.push(row);
      progress(
        `fleet outage: ${policy.name}: ${row.bootedWithoutFallback}/${OUTAGE_REPLICAS} booted; ${row.requests} requests`,
      );
    }
  }
  if (ONLY.has('refresh')) {
    for (const [intervalMs, jitter, randomPhase] of REFRESH_SETTINGS) {
      const durationMs = Math.max(REFRESH_MINUTES * 60_000, 6 * intervalMs);
      const row = await runRefresh(
        {
          intervalMs,
          jitter,
          randomPhase,
          replicas: REPLICAS,
          spreadMs: SPREAD_MS,
          rpm: RPM,
          durationMs,
          seed: 99,
        },
        etag,
      );
      result.refresh.push(row);
      progress(
        `fleet refresh: every ${intervalMs / 1000} s, jitter ${jitter}${randomPhase ? ', random first delay' : ''}: ${row.requestsPerMinuteSteady.toFixed(0)} req/min, ` +
          `${(row.share429Steady * 100).toFixed(0)}% 429, age p99 ${(row.ageMs.p99 / 1000).toFixed(0)} s, ` +
          `change p99 ${(row.propagation.p99Ms / 1000).toFixed(0)} s`,
      );
    }
  }
  clock.uninstall();
  result.timeouts = timeouts;
  result.realSeconds = (performance.now() - started) / 1000;
  emitResult(result);
}

await main();
