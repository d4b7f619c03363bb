/**
 * Section 5: fleet simulation. N replicas start within a few seconds against one
 * DopplerEmulator limited like Doppler (per-token sliding window, 429 with retry-after),
 * all with the same service token, as a fleet of one service shares one config's token.
 *
 * Model. Each replica is what an app runs: `loadDopplerSecrets()` from the built package, over
 * real loopback HTTP (the same pipeline as DopplerModule: options, retries within the deadline,
 * fallback, validation, and for refresh the library's own timer, jitter and backoff). Time is
 * virtual (support/virtual-clock.ts: Date, setTimeout, AbortSignal.timeout and a seeded
 * Math.random follow a simulated clock that only moves while no I/O is in flight), so a
 * request, a file read or a write takes zero virtual time, and 30 simulated minutes take
 * seconds. The fallback runs for real (each replica its own copy file); its PBKDF2 derivation
 * (500,000 rounds) is charged as the measured time of one derivation on this machine (see
 * support/charged-pbkdf2.ts).
 *
 * Refresh rows: each replica boots with a token of its own (`tokenFile`), which it swaps for the
 * shared token right after boot; the library re-reads the token file before every refresh. So
 * the replicas start out holding the current set and its ETag, without a boot storm, and every
 * refresh shares one rate limit, as in a running fleet. The boot requests are left out of the
 * counts.
 */
import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import {
  DopplerError,
  loadDopplerSecrets,
  type DopplerModuleOptions,
  type SecretsService,
} from 'nestjs-doppler';
import { DopplerEmulator, type EmulatorRequest, type EmulatorSeed } from 'nestjs-doppler/testing';
import { ChargedPbkdf2, measurePbkdf2 } from './support/charged-pbkdf2.js';
import { emitResult, progress } from './support/child.js';
import {
  cloneCopies,
  FALLBACK_PASSPHRASE,
  timeFallbackBoot,
  writeFallbackCopy,
} from './support/fallback-copies.js';
import { countByStatus, peakPerMinute, scratchRoot } from './support/fleet-stats.js';
import { AppSecrets, BENCH_CONFIG, BENCH_PROJECT, BENCH_TOKEN, benchSeed } from './support/schemas.js';
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
/** Every request of a run is kept, so counts are exact. */
const REQUEST_LOG_LIMIT = 10_000_000;

const SEED = benchSeed() as EmulatorSeed;
const clock = new VirtualClock();
let timeouts = 0;

/** Options a policy sets; unset ones are the library's defaults (documented: retries 6, deadline 15 s, timeout 5 s). */
export interface BootPolicy {
  readonly name: string;
  readonly retries?: number;
  readonly deadline?: number;
  readonly timeout?: number;
}

interface BootOutcome {
  readonly ok: boolean;
  readonly source?: string;
  readonly code?: string;
  readonly elapsedMs: number;
}

function bootReplica(options: DopplerModuleOptions): Promise<BootOutcome> {
  const started = clock.now;
  return loadDopplerSecrets<AppSecrets>(options).then(
    async (service) => {
      await service.close();
      return { ok: true, source: service.metadata.source, elapsedMs: clock.now - started };
    },
    (error: unknown) => {
      if (!(error instanceof DopplerError)) throw error;
      if (error.code === 'DOPPLER_TIMEOUT') timeouts++;
      return { ok: false, code: error.code, elapsedMs: clock.now - started };
    },
  );
}

interface BootScenario {
  readonly replicas: number;
  readonly spreadMs: number;
  readonly rpm: number;
  /** Doppler answers 503 to every request for this long from the start. */
  readonly outageMs?: number;
  readonly seed: number;
}

interface BootRun {
  readonly outcomes: readonly BootOutcome[];
  readonly requests: readonly EmulatorRequest[];
  readonly t0: number;
}

/** One fleet start; with `copies`, replica i has the fallback on, reading `copies[i]`. */
async function runBootOnce(policy: BootPolicy, scenario: BootScenario, copies?: readonly string[]) {
  const emulator = new DopplerEmulator(SEED, {
    rateLimit: { requestsPerMinute: scenario.rpm },
    requestLogLimit: REQUEST_LOG_LIMIT,
  });
  const apiUrl = await emulator.start();
  const t0 = clock.now;
  const random = seededRandom(scenario.seed);
  const outcomes: BootOutcome[] = [];
  const pending: Promise<void>[] = [];
  if (scenario.outageMs !== undefined) {
    emulator.setFault({ kind: 'status', status: 503 });
    clock.schedule(scenario.outageMs, () => emulator.setFault(undefined));
  }
  for (let i = 0; i < scenario.replicas; i++) {
    const options: DopplerModuleOptions = {
      token: BENCH_TOKEN,
      apiUrl,
      schema: AppSecrets,
      ...(policy.retries !== undefined && { retries: policy.retries }),
      ...(policy.deadline !== undefined && { deadline: policy.deadline }),
      ...(policy.timeout !== undefined && { timeout: policy.timeout }),
      ...(copies && { fallback: { path: copies[i] ?? '', passphrase: FALLBACK_PASSPHRASE } }),
    };
    clock.schedule(random() * scenario.spreadMs, () => {
      pending.push(bootReplica(options).then((o) => void outcomes.push(o)));
    });
  }
  await clock.runUntil(Number.POSITIVE_INFINITY);
  await Promise.all(pending);
  const requests = emulator.requests;
  await emulator.stop();
  return { outcomes, requests, t0 } satisfies BootRun;
}

async function runBoot(policy: BootPolicy, scenario: BootScenario, master: string, scratch: string) {
  const without = await runBootOnce(policy, scenario);
  const copies = await cloneCopies(master, join(scratch, 'boot-copies'), scenario.replicas);
  const withCopy = await runBootOnce(policy, scenario, copies);

  const fresh = without.outcomes.filter((o) => o.ok);
  const readyFresh = fresh.map((o) => o.elapsedMs);
  const readyWith = withCopy.outcomes.filter((o) => o.ok).map((o) => o.elapsedMs);
  const codes: Record<string, number> = {};
  for (const o of without.outcomes) if (!o.ok) codes[o.code ?? '?'] = (codes[o.code ?? '?'] ?? 0) + 1;
  const { requests, t0 } = without;
  return {
    policy,
    replicas: scenario.replicas,
    bootedWithoutFallback: fresh.length,
    bootedWithFallback: readyWith.length,
    servedByFallback: withCopy.outcomes.filter((o) => o.source === 'fallback').length,
    failedCodes: codes,
    readyMsWithout: {
      p50: quantile(readyFresh, 0.5),
      p95: quantile(readyFresh, 0.95),
      max: maxOf(readyFresh),
    },
    readyMsWith: { p50: quantile(readyWith, 0.5), p95: quantile(readyWith, 0.95), max: maxOf(readyWith) },
    requestsPerReplica: requests.length / scenario.replicas,
    requests: requests.length,
    requestsWithFallback: withCopy.requests.length,
    requestsByStatus: countByStatus(requests),
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
   * Not a library option: each replica starts a uniform random fraction of the interval later
   * (on top of the refresher's own random first check), to show what an extra delay would do.
   */
  readonly randomPhase?: boolean;
}

/** A service token of replica i's own, for its boot (bound to the same config). */
const bootToken = (i: number): string =>
  `dp.st.${BENCH_CONFIG}.boot${String(i).padStart(6, '0')}abcdefghijklmnopqrstuvwx`;

async function runRefresh(scenario: RefreshScenario, scratch: string) {
  const emulator = new DopplerEmulator(SEED, {
    rateLimit: { requestsPerMinute: scenario.rpm },
    requestLogLimit: REQUEST_LOG_LIMIT,
  });
  const apiUrl = await emulator.start();
  const t0 = clock.now;
  const random = seededRandom(scenario.seed);
  const services: SecretsService<AppSecrets>[] = [];
  const changeAt = t0 + Math.round(scenario.durationMs / 2);
  const appliedAt: (number | undefined)[] = new Array<number | undefined>(scenario.replicas).fill(undefined);
  const bootedAt: number[] = [];

  for (let i = 0; i < scenario.replicas; i++) {
    const tokenFile = join(scratch, `token-${i}`);
    emulator.addToken({ token: bootToken(i), project: BENCH_PROJECT, config: BENCH_CONFIG });
    await writeFile(tokenFile, bootToken(i), { mode: 0o600 });
    const startAt =
      random() * scenario.spreadMs + (scenario.randomPhase === true ? random() * scenario.intervalMs : 0);
    clock.schedule(startAt, () => {
      bootedAt.push(clock.now);
      void loadDopplerSecrets<AppSecrets>({
        tokenFile,
        apiUrl,
        schema: AppSecrets,
        refresh: { interval: scenario.intervalMs, jitter: scenario.jitter },
      }).then(async (service) => {
        // From now on the replica presents the fleet's shared token (re-read before every refresh).
        await writeFile(tokenFile, BENCH_TOKEN);
        service.changes.subscribe(() => {
          if (appliedAt[i] === undefined && clock.now >= changeAt) appliedAt[i] = clock.now;
        });
        services.push(service);
      });
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
  for (const service of services) {
    if (service.status.lastFailureCode === 'DOPPLER_TIMEOUT') timeouts++;
    void service.close();
  }
  const all = emulator.requests;
  await emulator.stop();

  // Each boot made exactly one request (a 200 with the replica's own token) at its start.
  const bootsAt = new Map<number, number>();
  for (const at of bootedAt) bootsAt.set(at, (bootsAt.get(at) ?? 0) + 1);
  const requests = all.filter((r) => {
    const left = bootsAt.get(r.at.getTime()) ?? 0;
    if (left === 0 || r.status !== 200) return true;
    bootsAt.set(r.at.getTime(), left - 1);
    return false;
  });
  if (all.length - requests.length !== scenario.replicas) throw new Error('boot requests not all found');

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

export const BOOT_POLICIES: readonly BootPolicy[] = [
  { name: 'current defaults' },
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
  { name: 'current defaults' },
  { name: 'retries 2 (the first default)', retries: 2, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 3', retries: 3, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 4', retries: 4, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 5', retries: 5, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 6', retries: 6, deadline: 15_000, timeout: 5_000 },
  { name: 'retries 6, deadline 30 s', retries: 6, deadline: 30_000, timeout: 5_000 },
];

/**
 * [interval ms, jitter, an extra random start delay]. The refresher itself makes its first
 * check at a random point of the first interval; the extra delay row shows that adding
 * another changes nothing.
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
  Logger.overrideLogger(false);
  // Nothing here reads a stack trace; thousands of failed boots each build a few errors.
  Error.stackTraceLimit = 0;
  const scratch = await mkdtemp(join(scratchRoot(), 'nestjs-doppler-fleet-'));
  try {
    // Measured before the clock is installed, on this machine: one derivation, and one whole boot from a copy.
    const pbkdf2 = await measurePbkdf2(3);
    const master = join(scratch, 'master', 'fallback.enc');
    await writeFallbackCopy(SEED, BENCH_TOKEN, AppSecrets, master);
    const fallbackBoot = await timeFallbackBoot(master, BENCH_TOKEN, AppSecrets, 3);
    const chargeMs = median(pbkdf2.cpuMs);
    progress(
      `fleet: PBKDF2 500k rounds ${chargeMs.toFixed(0)} ms CPU (${median(pbkdf2.wallMs).toFixed(0)} ms wall); ` +
        `a real boot from the copy with Doppler refusing connections ${fallbackBoot.wallMs.toFixed(0)} ms`,
    );
    const charged = new ChargedPbkdf2(clock, chargeMs);
    charged.install();
    clock.install({ seed: 1 });
    const result = {
      replicas: REPLICAS,
      rpm: RPM,
      spreadMs: SPREAD_MS,
      fallbackReadMs: chargeMs,
      pbkdf2: { cpuMs: pbkdf2.cpuMs, wallMs: pbkdf2.wallMs, chargeMs },
      fallbackBoot,
      boot: [] as Awaited<ReturnType<typeof runBoot>>[],
      outage: {
        replicas: OUTAGE_REPLICAS,
        outageMs: 8_000,
        rows: [] as Awaited<ReturnType<typeof runBoot>>[],
      },
      refresh: [] as Awaited<ReturnType<typeof runRefresh>>[],
      timeouts: 0,
      derivationsCharged: 0,
      realSeconds: 0,
    };
    const started = performance.now();
    if (ONLY.has('boot')) {
      for (const policy of BOOT_POLICIES) {
        const row = await runBoot(
          policy,
          { replicas: REPLICAS, spreadMs: SPREAD_MS, rpm: RPM, seed: 42 },
          master,
          scratch,
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
          master,
          scratch,
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
          scratch,
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
    charged.uninstall();
    result.timeouts = timeouts;
    result.derivationsCharged = charged.calls;
    result.realSeconds = (performance.now() - started) / 1000;
    emitResult(result);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
