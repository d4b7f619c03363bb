/**
 * Section 8: push, not poll (issue 13, "Measure it"). Three modes, one per process:
 *
 * - `latency --channel watch|webhook|poll`: real time, real loopback HTTP. One service
 *   (`loadDopplerSecrets`, or for the webhook a Nest app with DopplerModule and
 *   `createDopplerWebhookController`) runs against the bundled emulator; `--edits` times an edit
 *   is made in the emulator (`setSecret`) and the time until the service serves the new value is
 *   taken. Watch: `refresh: { watch: true }`, the emulator's stream emits `secrets.update`.
 *   Webhook: right after the edit, a signed `config.secrets.update` POST (signDopplerWebhook) to
 *   the app, as Doppler would send it; Doppler's own delivery delay is not in it. Poll:
 *   `refresh: { interval: --interval }` with each edit at a random point of the cycle, so the
 *   figure is interval/2 on average, plus the download.
 * - `rest --channel watch|webhook|poll`: virtual time (support/virtual-clock.ts: the library's
 *   timers, the emulator's clock and its rate-limit window follow it). `--replicas` services sit
 *   idle for `--hours` and every request they make to the emulator is counted from its request log.
 *   The emulator's pings go out every `--pingMs` of virtual time (its own timer is real time, so it
 *   is set out of the way and the bench pings).
 * - `fleet`: virtual time. `--replicas` services with `refresh: { watch: true }` (the safety net at
 *   `--interval`, default the library's 300 s) share one token limited to `--rpm` a minute; they
 *   boot with tokens of their own (as bench/fleet.ts's refresh rows do), then present the shared
 *   one, so the fleet starts out at rest. After `--settle` of rest one `secrets.update` reaches
 *   every stream; reported: replicas serving the new value within 2 s, 1 min and 5 min, requests and
 *   429s after the edit, and when the last one served it.
 */
import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  createDopplerWebhookController,
  DopplerModule,
  getSecretsServiceToken,
  loadDopplerSecrets,
  type DopplerModuleOptions,
  type SecretsService,
} from 'nestjs-doppler';
import { DopplerEmulator, signDopplerWebhook, type EmulatorSeed } from 'nestjs-doppler/testing';
import { emitResult, progress } from './support/child.js';
import { countByStatus, peakPerMinute, scratchRoot, spread } from './support/fleet-stats.js';
import { AppSecrets, BENCH_CONFIG, BENCH_PROJECT, BENCH_TOKEN, benchSeed } from './support/schemas.js';
import { maxOf, quantile, seededRandom } from './support/stats.js';
import { VirtualClock } from './support/virtual-clock.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'latency' },
    channel: { type: 'string', default: 'watch' },
    edits: { type: 'string', default: '40' },
    interval: { type: 'string' },
    replicas: { type: 'string', default: '1000' },
    rpm: { type: 'string', default: '240' },
    hours: { type: 'string', default: '6' },
    pingMs: { type: 'string', default: '15000' },
    spread: { type: 'string', default: '10000' },
    settle: { type: 'string', default: '600000' },
    tail: { type: 'string', default: '1800000' },
    seed: { type: 'string', default: '13' },
  },
});
const MODE = args.mode as 'latency' | 'rest' | 'fleet';
const CHANNEL = args.channel as 'watch' | 'webhook' | 'poll';
if (!['latency', 'rest', 'fleet'].includes(MODE)) throw new Error(`unknown mode ${MODE}`);
if (!['watch', 'webhook', 'poll'].includes(CHANNEL)) throw new Error(`unknown channel ${CHANNEL}`);
const EDITS = Number(args.edits);
const REPLICAS = Number(args.replicas);
const RPM = Number(args.rpm);
const PING_MS = Number(args.pingMs);
const SEED_VALUE = Number(args.seed);

const SEED = benchSeed() as EmulatorSeed;
const EDITED_KEY = 'PAYMENTS_API_KEY';
const WEBHOOK_SECRET = 'whsec_bench_0123456789abcdef';
/** The emulator's own ping timer (real time) is pushed out of the way where the bench pings on virtual time. */
const NO_REAL_PINGS = 2 ** 31 - 1;
const editedValue = (i: number): string => `pk_live_rotated_${String(i).padStart(12, '0')}`;
const bootToken = (i: number): string =>
  `dp.st.${BENCH_CONFIG}.boot${String(i).padStart(6, '0')}abcdefghijklmnopqrstuvwx`;

/** Resolves when `service` serves `value` for the edited key (checked on every change). */
function served(service: SecretsService<AppSecrets>, value: string): Promise<void> {
  return new Promise((resolve) => {
    if (service.get(EDITED_KEY).reveal() === value) return resolve();
    const subscription = service.changes.subscribe(() => {
      if (service.get(EDITED_KEY).reveal() !== value) return;
      subscription.unsubscribe();
      resolve();
    });
  });
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (check()) return;
    await realSleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Running {
  readonly service: SecretsService<AppSecrets>;
  /** Makes Doppler tell the app about the edit (the webhook POST); nothing for the other channels. */
  readonly announce: () => Promise<void>;
  close(): Promise<void>;
}

async function startWebhookApp(apiUrl: string): Promise<Running> {
  @Module({
    imports: [
      DopplerModule.forRoot({
        token: BENCH_TOKEN,
        apiUrl,
        schema: AppSecrets,
        // The least minInterval allowed, so edits can follow each other quickly; coalesceMs is the default (250 ms).
        webhook: { secret: WEBHOOK_SECRET, minInterval: 250 },
      }),
    ],
    controllers: [createDopplerWebhookController('webhooks/doppler')],
  })
  class WebhookApp {}
  const app = await NestFactory.create(WebhookApp, { rawBody: true, logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): { port: number } }).address();
  const url = `http://127.0.0.1:${port}/webhooks/doppler`;
  const service = app.get<SecretsService<AppSecrets>>(getSecretsServiceToken());
  const body = JSON.stringify({ type: 'config.secrets.update', config: { name: BENCH_CONFIG } });
  return {
    service,
    announce: async () => {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-doppler-signature': signDopplerWebhook(body, WEBHOOK_SECRET),
        },
        body,
      });
      if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
    },
    close: () => app.close(),
  };
}

async function latency(): Promise<void> {
  const intervalMs = Number(args.interval ?? 1000);
  const emulator = new DopplerEmulator(SEED, {});
  const apiUrl = await emulator.start();
  const base = { token: BENCH_TOKEN, apiUrl, schema: AppSecrets };
  let running: Running;
  if (CHANNEL === 'webhook') running = await startWebhookApp(apiUrl);
  else {
    const service = await loadDopplerSecrets<AppSecrets>({
      ...base,
      refresh: CHANNEL === 'watch' ? { watch: true } : { interval: intervalMs },
    });
    running = { service, announce: () => Promise.resolve(), close: () => service.close() };
  }
  if (CHANNEL === 'watch') {
    await waitFor(() => running.service.status.channel?.kind === 'stream', 'the watch stream');
    // The re-download every (re)connect makes, so the first edit does not meet it.
    await realSleep(2_500);
  }
  const random = seededRandom(SEED_VALUE);
  const samples: number[] = [];
  const before = emulator.requests.length;
  for (let i = 0; i < EDITS; i++) {
    // Edits at a random point of the poll cycle, and never inside the previous edit's spread window.
    await realSleep(CHANNEL === 'poll' ? random() * intervalMs : 300 + random() * 300);
    const value = editedValue(i);
    const done = served(running.service, value);
    const t0 = performance.now();
    emulator.setSecret(BENCH_PROJECT, BENCH_CONFIG, EDITED_KEY, value);
    await running.announce();
    await done;
    samples.push(performance.now() - t0);
  }
  const requests = emulator.requests.length - before;
  await running.close();
  await emulator.stop();
  const row = {
    channel: CHANNEL,
    edits: EDITS,
    ...(CHANNEL === 'poll' && { intervalMs }),
    ...(CHANNEL === 'webhook' && { webhook: { coalesceMs: 250, minIntervalMs: 250 } }),
    medianMs: quantile(samples, 0.5),
    p95Ms: quantile(samples, 0.95),
    minMs: Math.min(...samples),
    maxMs: maxOf(samples),
    requests,
  };
  progress(
    `watch latency ${CHANNEL}: median ${row.medianMs.toFixed(0)} ms, p95 ${row.p95Ms.toFixed(0)} ms over ${EDITS} edits`,
  );
  emitResult(row);
}

/** Pings every open stream every PING_MS of virtual time, as the emulator would in real time. */
function pingOnVirtualTime(
  clock: VirtualClock,
  emulator: DopplerEmulator,
  stop: () => boolean,
): () => number {
  let frames = 0;
  const tick = (): void => {
    if (stop()) return;
    frames += emulator.watcherCount;
    emulator.pingWatchers();
    clock.schedule(PING_MS, tick);
  };
  clock.schedule(PING_MS, tick);
  return () => frames;
}

async function rest(): Promise<void> {
  const hours = Number(args.hours);
  const intervalMs = args.interval !== undefined ? Number(args.interval) : undefined;
  const emulator = new DopplerEmulator(SEED, {
    now: () => Date.now(),
    watchPingIntervalMs: NO_REAL_PINGS,
    requestLogLimit: 10_000_000,
  });
  const apiUrl = await emulator.start();
  const clock = new VirtualClock();
  clock.install({ seed: SEED_VALUE, streams: () => 2 * emulator.watcherCount });
  let stopped = false;
  const pings = pingOnVirtualTime(clock, emulator, () => stopped);
  const options = (): DopplerModuleOptions => ({
    token: BENCH_TOKEN,
    apiUrl,
    schema: AppSecrets,
    ...(CHANNEL === 'watch' && { refresh: { watch: true, ...(intervalMs && { interval: intervalMs }) } }),
    ...(CHANNEL === 'poll' && { refresh: { interval: intervalMs ?? 60_000 } }),
    ...(CHANNEL === 'webhook' && { webhook: { secret: WEBHOOK_SECRET } }),
  });
  const services: SecretsService<AppSecrets>[] = [];
  for (let i = 0; i < REPLICAS; i++) services.push(await loadDopplerSecrets<AppSecrets>(options()));
  // A minute for the streams to open and make their first re-download; the window starts after.
  await clock.runUntil(clock.now + 60_000);
  const t0 = clock.now;
  const bootRequests = emulator.requests.length;
  const endAt = t0 + hours * 3_600_000;
  await clock.runUntil(endAt);
  stopped = true;
  const streamsOpen = emulator.watcherCount;
  const window = emulator.requests.slice(bootRequests).filter((r) => r.at.getTime() < endAt);
  const watchPath = (path: string): boolean => path.includes('/secrets/watch');
  const streamOpens = window.filter((r) => watchPath(r.path)).length;
  for (const service of services) await service.close();
  clock.uninstall();
  await emulator.stop();
  const perReplicaHour = (n: number): number => n / REPLICAS / hours;
  const row = {
    channel: CHANNEL,
    replicas: REPLICAS,
    hours,
    intervalMs: CHANNEL === 'webhook' ? undefined : (intervalMs ?? (CHANNEL === 'poll' ? 60_000 : 300_000)),
    pingMs: CHANNEL === 'watch' ? PING_MS : undefined,
    requests: window.length,
    byStatus: countByStatus(window),
    streamsOpen,
    streamOpens,
    downloads: window.length - streamOpens,
    requestsPerReplicaHour: perReplicaHour(window.length),
    downloadsPerReplicaHour: perReplicaHour(window.length - streamOpens),
    streamOpensPerReplicaHour: perReplicaHour(streamOpens),
    pingFramesPerReplicaHour: CHANNEL === 'watch' ? perReplicaHour(pings()) : 0,
  };
  progress(
    `watch rest ${CHANNEL}: ${row.requestsPerReplicaHour.toFixed(2)} requests per replica per hour ` +
      `(${row.streamOpensPerReplicaHour.toFixed(2)} stream opens), ${row.pingFramesPerReplicaHour.toFixed(0)} pings`,
  );
  emitResult(row);
}

async function fleet(): Promise<void> {
  const intervalMs = args.interval !== undefined ? Number(args.interval) : undefined;
  const settleMs = Number(args.settle);
  const tailMs = Number(args.tail);
  const spreadMs = Number(args.spread);
  const started = performance.now();
  const scratch = await mkdtemp(join(scratchRoot(), 'nestjs-doppler-watch-fleet-'));
  const emulator = new DopplerEmulator(SEED, {
    now: () => Date.now(),
    watchPingIntervalMs: NO_REAL_PINGS,
    rateLimit: { requestsPerMinute: RPM },
    requestLogLimit: 50_000_000,
  });
  const apiUrl = await emulator.start();
  const clock = new VirtualClock();
  clock.install({ seed: SEED_VALUE, streams: () => 2 * emulator.watcherCount });
  let ended = false;
  pingOnVirtualTime(clock, emulator, () => ended);
  const random = seededRandom(SEED_VALUE);
  const t0 = clock.now;
  const services: SecretsService<AppSecrets>[] = [];
  const appliedAt: (number | undefined)[] = new Array<number | undefined>(REPLICAS).fill(undefined);
  const value = editedValue(1);
  let editAt: number | undefined;
  let applied = 0;
  let swapped = 0;
  let swappedAtEdit = 0;
  for (let i = 0; i < REPLICAS; i++) {
    const tokenFile = join(scratch, `token-${i}`);
    emulator.addToken({ token: bootToken(i), project: BENCH_PROJECT, config: BENCH_CONFIG });
    await writeFile(tokenFile, bootToken(i), { mode: 0o600 });
    clock.schedule(random() * spreadMs, () => {
      void loadDopplerSecrets<AppSecrets>({
        tokenFile,
        apiUrl,
        schema: AppSecrets,
        refresh: { watch: true, ...(intervalMs !== undefined && { interval: intervalMs }) },
      }).then((service) => {
        services.push(service);
        service.changes.subscribe(() => {
          if (editAt === undefined || appliedAt[i] !== undefined) return;
          if (service.get(EDITED_KEY).reveal() !== value) return;
          appliedAt[i] = clock.now;
          applied++;
        });
        // After its stream's first re-download, the replica presents the fleet's shared token
        // (re-read before every download): the boot is left out of the shared budget.
        clock.schedule(5_000, () => {
          void clock.track(() => writeFile(tokenFile, BENCH_TOKEN)).then(() => void swapped++);
        });
      });
    });
  }
  const editAtPlanned = t0 + spreadMs + settleMs;
  clock.schedule(editAtPlanned - clock.now, () => {
    editAt = clock.now;
    swappedAtEdit = swapped;
    progress(
      `watch fleet: edit at ${((editAt - t0) / 1000).toFixed(0)} s, ${emulator.watcherCount} streams open, ${swapped} on the shared token`,
    );
    emulator.setSecret(BENCH_PROJECT, BENCH_CONFIG, EDITED_KEY, value);
  });
  await clock.runUntil(
    Number.POSITIVE_INFINITY,
    () => editAt !== undefined && (applied === REPLICAS || clock.now >= editAt + tailMs),
  );
  ended = true;
  const endAt = clock.now;
  const streamsAtEnd = emulator.watcherCount;
  const e = editAt ?? endAt;
  // Every replica presents the shared token from 5 s after its boot (checked: `swapped`), so
  // the requests from the rest window on are the shared token's.
  const shared = emulator.requests.filter((r) => r.at.getTime() >= t0);
  for (const service of services) await service.close();
  clock.uninstall();
  await emulator.stop();
  await rm(scratch, { recursive: true, force: true });

  const latencies = appliedAt.filter((a): a is number => a !== undefined).map((a) => a - e);
  const within = (ms: number): number => latencies.filter((l) => l <= ms).length;
  const after = shared.filter((r) => r.at.getTime() >= e);
  const downloadsAfter = after.filter((r) => !r.path.includes('/secrets/watch'));
  const restWindow = shared.filter((r) => r.at.getTime() >= e - 300_000 && r.at.getTime() < e);
  const row = {
    replicas: REPLICAS,
    rpm: RPM,
    spreadMs,
    settleMs,
    safetyNetIntervalMs: intervalMs ?? 300_000,
    windowMs: 2_000,
    servedWithin: { '2s': within(2_000), '1min': within(60_000), '5min': within(300_000) },
    notServedByEnd: REPLICAS - latencies.length,
    allServedAfterMs: latencies.length === REPLICAS ? maxOf(latencies) : Number.NaN,
    latency: spread(latencies),
    sharedTokenPerMinuteAtRest: restWindow.length / 5,
    afterEdit: {
      requests: after.length,
      downloads: downloadsAfter.length,
      byStatus: countByStatus(after),
      rateLimited: after.filter((r) => r.status === 429).length,
      peakPerMinute: peakPerMinute(after.map((r) => r.at.getTime())),
    },
    streamsAtEnd,
    onSharedTokenAtEdit: swappedAtEdit,
    endAfterEditMs: endAt - e,
    realSeconds: (performance.now() - started) / 1000,
  };
  progress(
    `watch fleet: ${row.servedWithin['2s']} within 2 s, ${row.servedWithin['1min']} within 1 min, ` +
      `${row.servedWithin['5min']} within 5 min; ${row.afterEdit.rateLimited} 429s; all after ` +
      `${(row.allServedAfterMs / 1000).toFixed(1)} s; ${row.realSeconds.toFixed(0)} s real`,
  );
  emitResult(row);
}

Logger.overrideLogger(false);
Error.stackTraceLimit = 0;
await (MODE === 'latency' ? latency() : MODE === 'rest' ? rest() : fleet());
