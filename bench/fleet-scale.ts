/**
 * Section 5, at scale: N replicas (10,000 by default) restart within 10 s, in one of three ways,
 * and later a secret is edited in Doppler. Reported: requests Doppler saw, time from each
 * replica's first start to serving (p50/p90/p99/max), and how stale the edit got (time from the
 * edit to each replica serving the new value).
 *
 * Modes (one per process):
 * - `api`: each replica fetches from the API with the fleet's one token, library defaults
 *   (retries 6, deadline 15 s), no fallback. A replica whose boot fails exits, and the kubelet
 *   restarts it with CrashLoopBackOff (10 s, doubling, at most 300 s), at the pod's first sync
 *   after the back-off (see restartDelayMs).
 * - `fallback`: the same, with the fallback on and every replica holding a valid copy (a restart
 *   of a running fleet whose volumes survive). Each key derivation is charged `--pbkdf2Ms` of
 *   virtual time (PBKDF2, 500,000 rounds, measured once on this machine; see
 *   support/charged-pbkdf2.ts).
 * - `mounted`: the Doppler Kubernetes Operator syncs the config into a Secret and each pod reads
 *   its own kubelet-layout volume (`mounted`), so pods make no request to Doppler. The operator
 *   is one client polling with the ETag every `--resync` ms (resyncSeconds, default 60: a 304
 *   when nothing changed); it is modelled as a `loadDopplerSecrets` client with
 *   `refresh: { interval: resync, jitter: 0 }`, which asks with If-None-Match exactly so. When
 *   it sees a change, the kubelet updates each pod's volume at that pod's next sync: the kubelet
 *   resyncs a pod every syncFrequency (60 s) with jitter factor 0.5, i.e. every 60-90 s, so pod
 *   i's volume changes U(0, P_i) after the Secret does, P_i ~ U(60 s, 90 s) (watch-based Secret
 *   cache: no TTL on top). The pod's library notices the swap as it would: its fs.watch, or its
 *   30 s poll.
 *
 * A sample stands for the fleet (`--represents`, a whole multiple of `--replicas`; the caller
 * divides the rate limit by the same factor). Replicas meet only through the token's shared
 * budget, and the sample has as many replicas per request a minute as the fleet, so it drains at
 * the fleet's pace: per-replica figures (boot time, restarts, staleness) carry over, and the
 * fleet's counts are the sample's times the factor (the operator's requests are not: there is one
 * operator whatever the fleet). That multiplication is modelled, not simulated, and holds in the
 * average, not in the grain: a saturated window frees a slot every 60 s / rate, so at a lower rate
 * a rate-limited boot's retry-after fits its deadline less often (run.ts's `api-half` measures how
 * far the figures move with the sample's size).
 *
 * Every replica is `loadDopplerSecrets()` from the built package, on the virtual clock of
 * support/virtual-clock.ts: requests, file reads and volume swaps take zero virtual time; the
 * library's own CPU per boot (a few ms, section 1) is not charged in any mode. The edit comes
 * `--editAfter` ms after every replica is serving (or at `--editBy` at the latest).
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { watch } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import {
  DopplerError,
  loadDopplerSecrets,
  type DopplerModuleOptions,
  type SecretsService,
} from 'nestjs-doppler';
import { DopplerEmulator, type EmulatorSeed } from 'nestjs-doppler/testing';
import { ChargedPbkdf2 } from './support/charged-pbkdf2.js';
import { emitResult, progress } from './support/child.js';
import { cloneCopies, FALLBACK_PASSPHRASE, writeFallbackCopy } from './support/fallback-copies.js';
import { countByStatus, peakPerMinute, scratchRoot, spread } from './support/fleet-stats.js';
import { KubeletVolume, versionName } from './support/kubelet-volume.js';
import { AppSecrets, BENCH_CONFIG, BENCH_PROJECT, BENCH_TOKEN, benchSeed } from './support/schemas.js';
import { seededRandom } from './support/stats.js';
import { VirtualClock } from './support/virtual-clock.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'api' },
    replicas: { type: 'string', default: '10000' },
    rpm: { type: 'string', default: '240' },
    spread: { type: 'string', default: '10000' },
    interval: { type: 'string', default: '0' },
    jitter: { type: 'string', default: '0.1' },
    pbkdf2Ms: { type: 'string', default: '0' },
    resync: { type: 'string', default: '60000' },
    kubeletMin: { type: 'string', default: '60000' },
    kubeletMax: { type: 'string', default: '90000' },
    editAfter: { type: 'string', default: '60000' },
    editBy: { type: 'string', default: '7200000' },
    tail: { type: 'string', default: '600000' },
    seed: { type: 'string', default: '12' },
    represents: { type: 'string' },
  },
});
const MODE = args.mode as 'api' | 'fallback' | 'mounted';
if (!['api', 'fallback', 'mounted'].includes(MODE)) throw new Error(`unknown mode ${MODE}`);
const REPLICAS = Number(args.replicas);
const RPM = Number(args.rpm);
const SPREAD_MS = Number(args.spread);
const INTERVAL_MS = Number(args.interval);
const JITTER = Number(args.jitter);
const PBKDF2_MS = Number(args.pbkdf2Ms);
const RESYNC_MS = Number(args.resync);
const KUBELET_MIN_MS = Number(args.kubeletMin);
const KUBELET_MAX_MS = Number(args.kubeletMax);
const EDIT_AFTER_MS = Number(args.editAfter);
const EDIT_BY_MS = Number(args.editBy);
const TAIL_MS = Number(args.tail);
const SEED_VALUE = Number(args.seed);
/** The fleet this run stands for (see the header): its request counts are this run's times FACTOR. */
const REPRESENTS = Number(args.represents ?? args.replicas);
const FACTOR = REPRESENTS / REPLICAS;
if (!Number.isInteger(FACTOR) || FACTOR < 1)
  throw new Error('--represents must be a whole multiple of --replicas');

const SEED = benchSeed() as EmulatorSeed;
const EDITED_KEY = 'PAYMENTS_API_KEY';
const EDITED_VALUE = 'pk_live_rotated_0000000000000';
/** A token of its own for the operator's run and for writing the copy, so neither spends the fleet's budget. */
const OTHER_TOKEN = `dp.st.${BENCH_CONFIG}.operator0123456789abcdefghijklmn`;
/** The kubelet's CrashLoopBackOff: 10 s after the first exit, doubling, at most 5 minutes. */
const crashLoopBackOffMs = (restarts: number): number => Math.min(10_000 * 2 ** (restarts - 1), 300_000);

const clock = new VirtualClock();
const random = seededRandom(SEED_VALUE);

/**
 * When the kubelet starts a crashed container again: at the first sync of its pod after the
 * back-off has expired. While it waits, the pod worker re-syncs the pod every backOffPeriod (10 s)
 * with jitter factor 0.5, i.e. every 10-15 s, so a restart comes 0-15 s after the back-off ends.
 */
function restartDelayMs(restarts: number): number {
  const backOff = crashLoopBackOffMs(restarts);
  let at = 0;
  while (at < backOff) at += 10_000 * (1 + 0.5 * random());
  return at;
}
/** For the one real-time wait here (a file event that never came), whatever the clock patches. */
const REAL_SET_TIMEOUT = globalThis.setTimeout;

interface Replica {
  firstStartAt?: number;
  restarts: number;
  servingAt?: number;
  service?: SecretsService<AppSecrets>;
  source?: string;
  /** When the replica first served the edited value. */
  appliedAt?: number;
  /** mounted: when its kubelet updated its volume. */
  volumeAt?: number;
}

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  // Nothing here reads a stack trace; thousands of failed boots each build a few errors.
  Error.stackTraceLimit = 0;
  const scratch = await mkdtemp(join(scratchRoot(), `nestjs-doppler-scale-${MODE}-`));
  const charged = new ChargedPbkdf2(clock, PBKDF2_MS);
  const started = performance.now();
  try {
    const seed: EmulatorSeed = {
      ...SEED,
      tokens: [...(SEED.tokens ?? []), { token: OTHER_TOKEN, project: BENCH_PROJECT, config: BENCH_CONFIG }],
    };
    let copies: readonly string[] = [];
    if (MODE === 'fallback') {
      const master = join(scratch, 'master', 'fallback.enc');
      await writeFallbackCopy(seed, OTHER_TOKEN, AppSecrets, master);
      copies = await cloneCopies(master, join(scratch, 'copies'), REPLICAS);
      charged.install();
    }
    const emulator = new DopplerEmulator(seed, {
      rateLimit: { requestsPerMinute: RPM },
      requestLogLimit: 50_000_000,
    });
    const apiUrl = await emulator.start();
    clock.install({ seed: SEED_VALUE });
    const t0 = clock.now;
    const replicas: Replica[] = [];
    let serving = 0;
    let editAt: number | undefined;
    let applied = 0;
    const codes: Record<string, number> = {};
    let timeouts = 0;

    const edit = (): void => {
      if (editAt !== undefined) return;
      editAt = clock.now;
      emulator.setSecret(BENCH_PROJECT, BENCH_CONFIG, EDITED_KEY, EDITED_VALUE);
      progress(`scale ${MODE}: edit at ${((editAt - t0) / 1000).toFixed(0)} s, ${serving} replicas serving`);
    };
    clock.schedule(EDIT_BY_MS, edit);
    const checkApplied = (replica: Replica): void => {
      const { service } = replica;
      if (editAt === undefined || replica.appliedAt !== undefined || service === undefined) return;
      if (service.get(EDITED_KEY).reveal() !== EDITED_VALUE) return;
      replica.appliedAt = clock.now;
      applied++;
    };
    const onServing = (replica: Replica, service: SecretsService<AppSecrets>): void => {
      replica.servingAt = clock.now;
      replica.service = service;
      replica.source = service.metadata.source;
      service.changes.subscribe(() => checkApplied(replica));
      checkApplied(replica);
      serving++;
      if (serving === REPLICAS) clock.schedule(EDIT_AFTER_MS, edit);
      if (serving % Math.max(1, Math.floor(REPLICAS / 10)) === 0) {
        progress(`scale ${MODE}: ${serving} serving at ${((clock.now - t0) / 1000).toFixed(0)} s`);
      }
    };

    // --- mounted: the operator, the Secret, the pods' volumes, the kubelet.
    const volumes: KubeletVolume[] = [];
    let versions = 0;
    let watchMisses = 0;
    let operator: SecretsService | undefined;
    let operatorChangedAt: number | undefined;
    const secretFiles = (service: SecretsService): Record<string, string> =>
      Object.fromEntries(service.keys().map((key) => [key, service.get(key).reveal()]));
    const kubeletUpdate = (replica: Replica, volume: KubeletVolume, files: Record<string, string>): void => {
      // Holds virtual time until the pod's fs.watch has had the swap's event: a watcher of our
      // own on the same directory shares the inotify watch, so its callback comes in the same
      // turn as the library's. A miss leaves the pod to its poll.
      void clock.track(
        () =>
          new Promise<void>((resolve) => {
            const done = (): void => {
              watcher.close();
              clearTimeout(timer);
              resolve();
            };
            const watcher = watch(volume.dir, { persistent: false }, done);
            const timer = REAL_SET_TIMEOUT(() => {
              watchMisses++;
              done();
            }, 2_000);
            replica.volumeAt = clock.now;
            volume.update(files, versionName(clock.now, versions++));
          }),
      );
    };
    if (MODE === 'mounted') {
      operator = await loadDopplerSecrets({
        token: OTHER_TOKEN,
        apiUrl,
        refresh: { interval: RESYNC_MS, jitter: 0 },
      });
      const files = secretFiles(operator);
      const first = versionName(clock.now, versions++);
      for (let i = 0; i < REPLICAS; i++) {
        const volume = new KubeletVolume(join(scratch, 'pods', `pod-${i}`, 'doppler'));
        volume.create(files, first);
        volumes.push(volume);
      }
      const op = operator;
      op.changes.subscribe(() => {
        operatorChangedAt ??= clock.now;
        const next = secretFiles(op);
        for (let i = 0; i < REPLICAS; i++) {
          const period = KUBELET_MIN_MS + random() * (KUBELET_MAX_MS - KUBELET_MIN_MS);
          const replica = replicas[i];
          const volume = volumes[i];
          if (replica !== undefined && volume !== undefined) {
            clock.schedule(random() * period, () => kubeletUpdate(replica, volume, next));
          }
        }
      });
    }

    const optionsFor = (i: number): DopplerModuleOptions => {
      if (MODE === 'mounted') return { mounted: { path: volumes[i]?.dir ?? '' }, schema: AppSecrets };
      return {
        token: BENCH_TOKEN,
        apiUrl,
        schema: AppSecrets,
        ...(INTERVAL_MS > 0 && { refresh: { interval: INTERVAL_MS, jitter: JITTER } }),
        ...(MODE === 'fallback' && { fallback: { path: copies[i] ?? '', passphrase: FALLBACK_PASSPHRASE } }),
      };
    };
    const start = (replica: Replica, i: number): void => {
      replica.firstStartAt ??= clock.now;
      loadDopplerSecrets<AppSecrets>(optionsFor(i)).then(
        (service) => onServing(replica, service),
        (error: unknown) => {
          if (!(error instanceof DopplerError)) throw error;
          codes[error.code] = (codes[error.code] ?? 0) + 1;
          if (error.code === 'DOPPLER_TIMEOUT') timeouts++;
          // The app exits; the kubelet starts the container again after its back-off.
          replica.restarts++;
          clock.schedule(restartDelayMs(replica.restarts), () => start(replica, i));
        },
      );
    };
    for (let i = 0; i < REPLICAS; i++) {
      const replica: Replica = { restarts: 0 };
      replicas.push(replica);
      clock.schedule(random() * SPREAD_MS, () => start(replica, i));
    }

    const tailMs = TAIL_MS + (INTERVAL_MS > 0 && MODE !== 'mounted' ? 1.2 * INTERVAL_MS : 0);
    await clock.runUntil(
      Number.POSITIVE_INFINITY,
      () => editAt !== undefined && (applied === REPLICAS || clock.now >= editAt + tailMs),
    );
    const endAt = clock.now;
    for (const replica of replicas) {
      if (replica.service?.status.lastFailureCode === 'DOPPLER_TIMEOUT') timeouts++;
      await replica.service?.close();
    }
    await operator?.close();
    clock.uninstall();
    charged.uninstall();
    const requests = emulator.requests;
    await emulator.stop();

    const at = (ms: number | undefined): number => (ms === undefined ? Number.NaN : (ms - t0) / 1000);
    const e = editAt ?? endAt;
    const boot = replicas
      .filter((r) => r.servingAt !== undefined)
      .map((r) => (r.servingAt ?? 0) - (r.firstStartAt ?? 0));
    const stale = replicas.filter((r) => r.appliedAt !== undefined).map((r) => (r.appliedAt ?? 0) - e);
    const fleetRequests = requests.filter((r) => r.at.getTime() >= t0);
    const before = fleetRequests.filter((r) => r.at.getTime() < e);
    const after = fleetRequests.filter((r) => r.at.getTime() >= e);
    const servingAt = replicas.map((r) => r.servingAt ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
    const row = {
      mode: MODE,
      replicas: REPLICAS,
      rpm: RPM,
      represents: { replicas: REPRESENTS, rpm: RPM * FACTOR, factor: FACTOR },
      spreadMs: SPREAD_MS,
      refresh:
        INTERVAL_MS > 0 && MODE !== 'mounted' ? { intervalMs: INTERVAL_MS, jitter: JITTER } : undefined,
      pbkdf2ChargeMs: MODE === 'fallback' ? PBKDF2_MS : undefined,
      operator:
        MODE === 'mounted'
          ? {
              resyncMs: RESYNC_MS,
              kubeletSyncMs: [KUBELET_MIN_MS, KUBELET_MAX_MS],
              sawChangeAfterMs: operatorChangedAt === undefined ? Number.NaN : operatorChangedAt - e,
              volumeUpdateAfterEditMs: spread(
                replicas.filter((r) => r.volumeAt !== undefined).map((r) => (r.volumeAt ?? 0) - e),
              ),
              libraryAfterVolumeMs: spread(
                replicas
                  .filter((r) => r.volumeAt !== undefined && r.appliedAt !== undefined)
                  .map((r) => (r.appliedAt ?? 0) - (r.volumeAt ?? 0)),
              ),
              watchMisses,
            }
          : undefined,
      requests: {
        total: fleetRequests.length,
        byStatus: countByStatus(fleetRequests),
        beforeEdit: before.length,
        afterEdit: after.length,
        peakPerMinute: peakPerMinute(fleetRequests.map((r) => r.at.getTime())),
        perMinuteAfterEdit: after.length / Math.max(1e-9, (endAt - e) / 60_000),
      },
      boot: {
        ...spread(boot),
        notServingByEnd: REPLICAS - boot.length,
        allServingAtS: at(servingAt[REPLICAS - 1]),
        halfServingAtS: at(servingAt[Math.floor(REPLICAS / 2)]),
        restarts: replicas.reduce((s, r) => s + r.restarts, 0),
        maxRestarts: replicas.reduce((m, r) => Math.max(m, r.restarts), 0),
        fromFallback: replicas.filter((r) => r.source === 'fallback').length,
        failures: codes,
      },
      edit: {
        atS: at(editAt),
        servingAtEdit: replicas.filter((r) => r.servingAt !== undefined && r.servingAt <= e).length,
        ...spread(stale),
        notAppliedByEnd: REPLICAS - stale.length,
        endS: at(endAt),
      },
      derivationsCharged: charged.calls,
      fleetPbkdf2CpuS: (charged.calls * PBKDF2_MS) / 1000,
      timeouts,
      steps: clock.steps,
      realSeconds: (performance.now() - started) / 1000,
    };
    progress(
      `scale ${MODE}: boot p50 ${(row.boot.p50 / 1000).toFixed(1)} s, max ${(row.boot.max / 1000).toFixed(1)} s; ` +
        `${row.requests.total} requests; edit applied p50 ${(row.edit.p50 / 1000).toFixed(0)} s, ` +
        `max ${(row.edit.max / 1000).toFixed(0)} s, ${row.edit.notAppliedByEnd} not by the end; ${row.realSeconds.toFixed(0)} s real`,
    );
    emitResult(row);
  } finally {
    clock.uninstall();
    charged.uninstall();
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
