/**
 * OpenTelemetry, with the real SDK (in-memory exporters) and the bundled emulator. The library is
 * imported above, before any SDK exists: each test registers a fresh meter and tracer provider,
 * then boots, so what is reported proves the instruments are taken at boot, not at import.
 */
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DopplerModule,
  getSecretsServiceToken,
  loadDopplerSecrets,
  type DopplerModuleOptions,
  type SecretsService,
} from 'nestjs-doppler';
import { DopplerEmulator, mintOidcToken } from 'nestjs-doppler/testing';
import { bootstrapSecrets, loadDopplerSecretsWith } from '../lib/load-doppler-secrets.js';
import { FakeClock } from './support/fake-clock.js';
import { onFakeTime } from './support/on-fake-time.js';
import { waitFor } from './support/wait-for.js';

const TOKEN = 'dp.st.prd.telemetry-token-1';
const initial = { API_KEY: 'key-version-1', POOL: '5' };
const emulator = new DopplerEmulator({
  projects: { shop: { configs: { prd: { secrets: initial } } } },
  tokens: [{ token: TOKEN, project: 'shop', config: 'prd' }],
});
let apiUrl = '';
let dir = '';

interface Sdk {
  readonly reader: PeriodicExportingMetricReader;
  readonly metricExporter: InMemoryMetricExporter;
  readonly spanExporter: InMemorySpanExporter;
  readonly meterProvider: MeterProvider;
  readonly tracerProvider: BasicTracerProvider;
}
let sdk: Sdk;

function startSdk(temporality = AggregationTemporality.CUMULATIVE): Sdk {
  const metricExporter = new InMemoryMetricExporter(temporality);
  // Collected only when a test asks (forceFlush); the interval never fires within a test.
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  metrics.setGlobalMeterProvider(meterProvider);
  trace.setGlobalTracerProvider(tracerProvider);
  return { reader, metricExporter, spanExporter, meterProvider, tracerProvider };
}

/** Every metric collected now, by name. */
async function collect(): Promise<Map<string, MetricData>> {
  sdk.metricExporter.reset();
  await sdk.reader.forceFlush();
  const last = sdk.metricExporter.getMetrics().at(-1);
  const byName = new Map<string, MetricData>();
  for (const scope of last?.scopeMetrics ?? []) {
    for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
  }
  return byName;
}

/** The data points of one metric as { attributes, value } (a histogram's value is its count). */
function points(
  all: Map<string, MetricData>,
  name: string,
): { attributes: Record<string, unknown>; value: number }[] {
  const metric = all.get(name);
  if (metric === undefined) return [];
  return metric.dataPoints.map((point) => ({
    attributes: point.attributes,
    value:
      metric.dataPointType === DataPointType.HISTOGRAM
        ? (point.value as { count: number }).count
        : (point.value as number),
  }));
}

/** `doppler.requests` by answer: the status code, or the error type where no answer came. */
function requestsByAnswer(all: Map<string, MetricData>): Record<string, number> {
  return Object.fromEntries(
    points(all, 'doppler.requests').map((p): [string, number] => [
      String(p.attributes['http.response.status_code'] ?? p.attributes['error.type']),
      p.value,
    ]),
  );
}

/** An emulator with the workload identity `pod` (audience `doppler`, subject `pod`) for shop/prd. */
function podEmulator(tokenLifetimeSec?: number): DopplerEmulator {
  return new DopplerEmulator({
    projects: { shop: { configs: { prd: { secrets: initial } } } },
    identities: [
      {
        id: 'pod',
        project: 'shop',
        config: 'prd',
        audience: 'doppler',
        subject: 'pod',
        ...(tokenLifetimeSec !== undefined && { tokenLifetimeSec }),
      },
    ],
  });
}

const spans = (): ReadableSpan[] => sdk.spanExporter.getFinishedSpans();

beforeAll(async () => {
  apiUrl = await emulator.start();
  dir = await mkdtemp(join(tmpdir(), 'doppler-telemetry-'));
});
beforeEach(() => {
  sdk = startSdk();
});
afterEach(async () => {
  emulator.clearFaults();
  emulator.setSecrets('shop', 'prd', initial);
  metrics.disable();
  trace.disable();
  await sdk.meterProvider.shutdown();
  await sdk.tracerProvider.shutdown();
});
afterAll(async () => {
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

const options = (extra: Partial<DopplerModuleOptions> = {}): DopplerModuleOptions => ({
  token: TOKEN,
  apiUrl,
  retries: 0,
  ...extra,
});

const scope = { 'doppler.project': 'shop', 'doppler.config': 'prd' };

describe('telemetry: the bootstrap of a DopplerModule registration', () => {
  it('reports one span, one duration, the request and the gauges, named after the instance', async () => {
    // Delta: a gauge no longer observed is then absent from the next collection (cumulative keeps it).
    metrics.disable();
    trace.disable();
    await sdk.meterProvider.shutdown();
    sdk = startSdk(AggregationTemporality.DELTA);
    @Module({ imports: [DopplerModule.forRoot({ ...options(), name: 'platform' })] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      const base = { ...scope, 'doppler.instance': 'platform' };
      const [span, ...more] = spans();
      expect(more).toEqual([]);
      expect(span?.name).toBe('doppler.secrets.bootstrap');
      expect(span?.attributes).toMatchObject({
        ...base,
        'doppler.phase': 'bootstrap',
        'doppler.outcome': 'changed',
        'doppler.source': 'doppler-api',
        'doppler.secrets.version': 1,
        'doppler.attempts': 1,
        'http.response.status_code': 200,
      });
      expect(span?.status.code).toBe(SpanStatusCode.UNSET);
      expect(span?.events).toEqual([]);

      const all = await collect();
      expect(points(all, 'doppler.secrets.fetch.duration')).toEqual([
        {
          attributes: {
            ...base,
            'doppler.phase': 'bootstrap',
            'doppler.outcome': 'changed',
            'doppler.source': 'doppler-api',
          },
          value: 1,
        },
      ]);
      expect(all.get('doppler.secrets.fetch.duration')?.descriptor.unit).toBe('s');
      expect(points(all, 'doppler.requests')).toEqual([
        { attributes: { ...base, 'http.response.status_code': 200 }, value: 1 },
      ]);
      expect(points(all, 'doppler.secrets.version')).toEqual([{ attributes: base, value: 1 }]);
      expect(points(all, 'doppler.secrets.stale')).toEqual([{ attributes: base, value: 0 }]);
      const [age] = points(all, 'doppler.secrets.age');
      expect(age?.attributes).toEqual(base);
      expect(age?.value).toBeGreaterThanOrEqual(0);
      expect(age?.value).toBeLessThan(60);
      // Features that are off report nothing.
      expect(all.has('doppler.secrets.fallback')).toBe(false);
      expect(points(all, 'doppler.watch.state')).toEqual([]);
      expect(points(all, 'doppler.auth.token.time_to_expiry')).toEqual([]);
      app.get<SecretsService>(getSecretsServiceToken('platform'));
    } finally {
      await app.close();
    }
    // A closed registration is no longer observed.
    const after = await collect();
    expect(points(after, 'doppler.secrets.version')).toEqual([]);
  });

  it('puts each retry on the span as an event, and counts every request by status', async () => {
    emulator.injectFaults(
      { kind: 'status', status: 503 },
      { kind: 'status', status: 429, headers: { 'retry-after': '0' } },
    );
    // The backoff between the attempts runs on fake time (the requests on real sockets).
    const clock = new FakeClock(Date.now());
    const secrets = await onFakeTime(clock, loadDopplerSecretsWith(options({ retries: 3 }), { clock }));
    try {
      const [span] = spans();
      expect(
        span?.events.map((e) => [e.name, e.attributes?.['doppler.attempt'], e.attributes?.['error.type']]),
      ).toEqual([
        ['doppler.retry', 1, 'DOPPLER_SERVER_ERROR'],
        ['doppler.retry', 2, 'DOPPLER_RATE_LIMITED'],
      ]);
      for (const event of span?.events ?? [])
        expect(event.attributes?.['doppler.retry.delay']).toBeGreaterThanOrEqual(0);
      expect(span?.attributes['doppler.attempts']).toBe(3);
      expect(span?.attributes['doppler.outcome']).toBe('changed');
      expect(requestsByAnswer(await collect())).toEqual({ 200: 1, 429: 1, 503: 1 });
    } finally {
      await secrets.close();
    }
  });

  it('a failed bootstrap ends its span with an error status and the code, and records a failed fetch', async () => {
    const error = await loadDopplerSecrets(options({ token: 'dp.st.prd.revoked-0000' })).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(error?.code).toBe('DOPPLER_UNAUTHORIZED');
    const [span] = spans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'DOPPLER_UNAUTHORIZED' });
    expect(span?.attributes).toMatchObject({
      'doppler.outcome': 'failed',
      'error.type': 'DOPPLER_UNAUTHORIZED',
    });
    const all = await collect();
    expect(points(all, 'doppler.secrets.fetch.duration')).toEqual([
      {
        attributes: {
          'doppler.phase': 'bootstrap',
          'doppler.outcome': 'failed',
          'doppler.source': 'doppler-api',
          'error.type': 'DOPPLER_UNAUTHORIZED',
        },
        value: 1,
      },
    ]);
    expect(points(all, 'doppler.requests')).toEqual([
      { attributes: { 'http.response.status_code': 401 }, value: 1 },
    ]);
    // Nothing was served, so nothing is observed.
    expect(points(all, 'doppler.secrets.version')).toEqual([]);
  });

  it('a connection that got no answer is counted by error.type', async () => {
    const error = await loadDopplerSecrets(options({ apiUrl: 'http://127.0.0.1:9', deadline: 2_000 })).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(error?.code).toBe('DOPPLER_UNREACHABLE');
    expect(points(await collect(), 'doppler.requests')).toEqual([
      { attributes: { 'error.type': 'DOPPLER_UNREACHABLE' }, value: 1 },
    ]);
  });

  it('with telemetry: { enabled: false } nothing is reported', async () => {
    const secrets = await loadDopplerSecrets(options({ telemetry: { enabled: false } }));
    await secrets.refresh();
    await secrets.close();
    expect(spans()).toEqual([]);
    expect((await collect()).size).toBe(0);
  });
});

describe('telemetry: refresh cycles', () => {
  it('one span and one duration per cycle: unchanged (304), changed, failed; the gauges follow', async () => {
    const secrets = await loadDopplerSecrets(options());
    try {
      expect(await secrets.refresh()).toEqual({ kind: 'unchanged' });
      emulator.setSecret('shop', 'prd', 'API_KEY', 'key-version-2');
      expect((await secrets.refresh()).kind).toBe('changed');
      let all = await collect();
      expect(points(all, 'doppler.secrets.version')).toEqual([{ attributes: scope, value: 2 }]);
      emulator.setFault({ kind: 'status', status: 500 });
      expect((await secrets.refresh()).kind).toBe('failed');

      const refreshes = spans().filter((s) => s.name === 'doppler.secrets.refresh');
      expect(refreshes.map((s) => s.attributes['doppler.outcome'])).toEqual([
        'unchanged',
        'changed',
        'failed',
      ]);
      expect(refreshes.map((s) => s.attributes['http.response.status_code'])).toEqual([304, 200, 500]);
      const [, changed, failed] = refreshes;
      expect(changed?.attributes).toMatchObject({ 'doppler.secrets.version': 2, 'doppler.change.count': 1 });
      // Names only when asked for.
      expect(Object.keys(changed?.attributes ?? {}).filter((k) => k.startsWith('doppler.change.'))).toEqual([
        'doppler.change.count',
      ]);
      expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'DOPPLER_SERVER_ERROR' });

      all = await collect();
      const outcomes = points(all, 'doppler.secrets.fetch.duration')
        .filter((p) => p.attributes['doppler.phase'] === 'refresh')
        .map((p) => [p.attributes['doppler.outcome'], p.attributes['error.type'], p.value]);
      expect(outcomes).toEqual(
        expect.arrayContaining([
          ['unchanged', undefined, 1],
          ['changed', undefined, 1],
          ['failed', 'DOPPLER_SERVER_ERROR', 1],
        ]),
      );
      expect(points(all, 'doppler.secrets.stale')).toEqual([{ attributes: scope, value: 1 }]);
      expect(requestsByAnswer(all)).toEqual({ 200: 2, 304: 1, 500: 1 });
    } finally {
      await secrets.close();
    }
  });

  it('with includeSecretNames, a change names what changed, was added and was removed', async () => {
    const secrets = await loadDopplerSecrets(options({ telemetry: { includeSecretNames: true } }));
    try {
      emulator.setSecrets('shop', 'prd', { API_KEY: 'key-version-2', EXTRA: 'x' });
      await secrets.refresh();
      const changed = spans().find(
        (s) => s.attributes['doppler.outcome'] === 'changed' && s.name.endsWith('refresh'),
      );
      expect(changed?.attributes).toMatchObject({
        'doppler.change.count': 3,
        'doppler.change.changed': ['API_KEY'],
        'doppler.change.added': ['EXTRA'],
        'doppler.change.removed': ['POOL'],
      });
    } finally {
      await secrets.close();
    }
  });
});

describe("telemetry: the fetch's span is the active one while its requests run", () => {
  /**
   * What an app's HTTP instrumentation sees: the span active when each request to the emulator
   * starts (Node's own `http.client.request.start` channel, the hook instrumentations use), with
   * the context manager the Node SDK registers.
   */
  async function withRequestsSeen(
    run: (seen: (string | undefined)[]) => Promise<void>,
    url = apiUrl,
  ): Promise<void> {
    const port = new URL(url).port;
    const seen: (string | undefined)[] = [];
    const onStart = (message: unknown): void => {
      const { request } = message as { request: ClientRequest };
      if (request.getHeader('host') === `127.0.0.1:${port}`) {
        seen.push(trace.getActiveSpan()?.spanContext().spanId);
      }
    };
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    subscribe('http.client.request.start', onStart);
    try {
      await run(seen);
    } finally {
      unsubscribe('http.client.request.start', onStart);
      context.disable();
    }
  }

  it('bootstrap and refresh requests run under their own span; a refresh is not a child of the bootstrap', async () => {
    await withRequestsSeen(async (seen) => {
      const secrets = await loadDopplerSecrets(options());
      try {
        const [bootstrap] = spans().filter((s) => s.name === 'doppler.secrets.bootstrap');
        expect(seen).toEqual([bootstrap?.spanContext().spanId]);
        expect(bootstrap?.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
        // Once the fetch is over, its span is active nowhere.
        expect(trace.getActiveSpan()).toBeUndefined();

        expect(await secrets.refresh()).toEqual({ kind: 'unchanged' });
        const [refresh] = spans().filter((s) => s.name === 'doppler.secrets.refresh');
        expect(seen).toEqual([bootstrap?.spanContext().spanId, refresh?.spanContext().spanId]);
        expect(refresh?.parentSpanContext).toBeUndefined();
      } finally {
        await secrets.close();
      }
    });
  });

  it("with workload identity, the getToken callback and the exchange run under the bootstrap's span too", async () => {
    const oidcEmulator = podEmulator();
    const url = await oidcEmulator.start();
    try {
      await withRequestsSeen(async (seen) => {
        let inCallback: string | undefined;
        const { service } = await bootstrapSecrets(
          {
            apiUrl: url,
            retries: 0,
            project: 'shop',
            config: 'prd',
            oidc: {
              identity: 'pod',
              getToken: () => {
                inCallback = trace.getActiveSpan()?.spanContext().spanId;
                return mintOidcToken({ audience: 'doppler', subject: 'pod' });
              },
            },
          },
          {},
        );
        try {
          const [bootstrap] = spans().filter((s) => s.name === 'doppler.secrets.bootstrap');
          const id = bootstrap?.spanContext().spanId;
          expect(oidcEmulator.requests.map((r) => r.path)).toEqual([
            '/v3/auth/oidc',
            '/v3/configs/config/secrets/download',
          ]);
          expect(seen).toEqual([id, id]);
          expect(inCallback).toBe(id);
        } finally {
          await service.close();
        }
      }, url);
    } finally {
      await oidcEmulator.stop();
    }
  });

  it("a refresh the app asks for inside its own span (a webhook's request) is that span's child", async () => {
    await withRequestsSeen(async (seen) => {
      const secrets = await loadDopplerSecrets(options());
      try {
        const app = trace.getTracer('the-app');
        const appSpanId = await app.startActiveSpan('POST /doppler/webhook', async (span) => {
          await secrets.refresh();
          span.end();
          return span.spanContext().spanId;
        });
        const [refresh] = spans().filter((s) => s.name === 'doppler.secrets.refresh');
        expect(refresh?.parentSpanContext?.spanId).toBe(appSpanId);
        expect(seen.at(-1)).toBe(refresh?.spanContext().spanId);
      } finally {
        await secrets.close();
      }
    });
  });
});

describe('telemetry: fallback, watch stream and token hooks', () => {
  it('the fallback gauge and the source say when the encrypted copy serves', async () => {
    const fallback = { path: join(dir, 'copy'), passphrase: 'telemetry-passphrase' };
    // The copy at 1000 PBKDF2 rounds: this is about what the gauges say, not the copy's key.
    const first = await loadDopplerSecretsWith(options({ fallback }), { fallbackRounds: 1000 });
    expect(points(await collect(), 'doppler.secrets.fallback')).toEqual([{ attributes: scope, value: 0 }]);
    await first.close();

    emulator.setFault({ kind: 'status', status: 503 });
    const second = await loadDopplerSecretsWith(options({ fallback }), { fallbackRounds: 1000 });
    try {
      const all = await collect();
      expect(points(all, 'doppler.secrets.fallback')).toEqual([{ attributes: scope, value: 1 }]);
      expect(points(all, 'doppler.secrets.stale')).toEqual([{ attributes: scope, value: 1 }]);
      const served = points(all, 'doppler.secrets.fetch.duration').map((p) => p.attributes['doppler.source']);
      expect(served).toEqual(expect.arrayContaining(['doppler-api', 'fallback']));
      expect(spans().at(-1)?.attributes).toMatchObject({
        'doppler.outcome': 'changed',
        'doppler.source': 'fallback',
      });
    } finally {
      await second.close();
    }
  });

  it('streamState() and tokenExpiresAt() are reported as gauges', async () => {
    const { service, telemetry } = await bootstrapSecrets(options(), { name: 'shared' });
    try {
      const base = { ...scope, 'doppler.instance': 'shared' };
      telemetry.streamState('connecting');
      telemetry.streamState('connected');
      telemetry.tokenExpiresAt(Date.now() + 600_000);
      const all = await collect();
      const states = Object.fromEntries(
        points(all, 'doppler.watch.state').map((p) => [p.attributes['doppler.watch.state'], p.value]),
      );
      expect(states).toEqual({ connecting: 0, connected: 1, reconnecting: 0, stopped: 0 });
      const [ttl] = points(all, 'doppler.auth.token.time_to_expiry');
      expect(ttl?.attributes).toEqual(base);
      expect(ttl?.value).toBeGreaterThan(500);
      expect(ttl?.value).toBeLessThanOrEqual(600);
    } finally {
      await service.close();
    }
  });
});

describe('telemetry: the watch stream', () => {
  const watchState = async (): Promise<Record<string, number>> =>
    Object.fromEntries(
      points(await collect(), 'doppler.watch.state').map((p): [string, number] => [
        String(p.attributes['doppler.watch.state']),
        p.value,
      ]),
    );

  it('reports the stream connected while it is live, and stopped once Doppler refuses it (403)', async () => {
    const live = await loadDopplerSecrets(options({ refresh: { watch: true } }));
    try {
      await waitFor('the stream', () => live.status.stream?.state === 'live');
      expect(await watchState()).toEqual({ connecting: 0, connected: 1, reconnecting: 0, stopped: 0 });
    } finally {
      await live.close();
    }

    emulator.injectWatchFaults({ kind: 'status', status: 403 });
    const refused = await loadDopplerSecrets(options({ refresh: { watch: true } }));
    try {
      await waitFor('the refusal', () => refused.status.stream?.state === 'unavailable');
      expect(await watchState()).toEqual({ connecting: 0, connected: 0, reconnecting: 0, stopped: 1 });
    } finally {
      await refused.close();
    }
  });

  it("counts the stream's connects in doppler.requests with the downloads, refused or answered", async () => {
    const requests = async (): Promise<Record<string, number>> => requestsByAnswer(await collect());
    const live = await loadDopplerSecrets(options({ refresh: { watch: true } }));
    try {
      await waitFor('the stream', () => live.status.stream?.state === 'live');
      // The bootstrap download and the stream's connect; the re-download after the connect
      // sends the ETag, so it can only add a 304.
      const counted = await requests();
      expect(counted['200']).toBe(2);
      expect(Object.keys(counted).filter((status) => status !== '200' && status !== '304')).toEqual([]);
    } finally {
      await live.close();
    }

    emulator.injectWatchFaults({ kind: 'status', status: 403 });
    const refused = await loadDopplerSecrets(options({ refresh: { watch: true } }));
    try {
      await waitFor('the refusal', () => refused.status.stream?.state === 'unavailable');
      expect((await requests())['403']).toBe(1);
    } finally {
      await refused.close();
    }
  });
});

describe('telemetry: the OIDC token', () => {
  it('an exchanged token reports its time to expiry, and the token exchanged after a 401 reports its own', async () => {
    const oidcEmulator = podEmulator(900);
    const url = await oidcEmulator.start();
    const { service, refresher } = await bootstrapSecrets(
      {
        apiUrl: url,
        retries: 0,
        project: 'shop',
        config: 'prd',
        refresh: { interval: 3_600_000 },
        oidc: { identity: 'pod', getToken: () => mintOidcToken({ audience: 'doppler', subject: 'pod' }) },
      },
      {},
    );
    try {
      const booted = await collect();
      // The exchange is a request to Doppler like the download, and counts against the same limit.
      expect(points(booted, 'doppler.requests')).toEqual([
        { attributes: { ...scope, 'http.response.status_code': 200 }, value: 2 },
      ]);
      expect(oidcEmulator.requests.map((r) => r.path)).toEqual([
        '/v3/auth/oidc',
        '/v3/configs/config/secrets/download',
      ]);
      const [ttl] = points(booted, 'doppler.auth.token.time_to_expiry');
      expect(ttl?.attributes).toEqual(scope);
      expect(ttl?.value).toBeGreaterThan(800);
      expect(ttl?.value).toBeLessThanOrEqual(900);

      // Doppler refuses the token now: the refresh drops it and exchanges once more.
      oidcEmulator.revokeIdentityTokens('pod');
      await refresher?.refreshNow();
      const renewedAll = await collect();
      const [renewed] = points(renewedAll, 'doppler.auth.token.time_to_expiry');
      expect(renewed?.value).toBeGreaterThan(800);
      // Then the refused download (401), the second exchange (200) and the download after it,
      // with the ETag (304).
      expect(requestsByAnswer(renewedAll)).toEqual({ 200: 3, 304: 1, 401: 1 });

      // Shutdown revokes the token: one more request to Doppler, counted like the others.
      await service.close();
      expect(oidcEmulator.requests.at(-1)?.path).toBe('/v3/auth/revoke');
      expect(requestsByAnswer(await collect())).toEqual({ 200: 4, 304: 1, 401: 1 });
    } finally {
      await service.close();
      await oidcEmulator.stop();
    }
  });
});

describe('telemetry: the canary over everything exported', () => {
  /** Every exported span and metric, as an exporter would serialise them. */
  async function everythingExported(): Promise<string> {
    const exportedSpans = spans().map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
      status: s.status,
      links: s.links,
      scope: s.instrumentationScope,
    }));
    const exportedMetrics = [...(await collect()).values()].map((m) => ({
      descriptor: m.descriptor,
      points: m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
    }));
    return JSON.stringify({ exportedSpans, exportedMetrics });
  }

  const hex = fc.stringMatching(/^[0-9a-f]{12}$/);
  const input = fc.record({
    token: hex.map((h) => `dp.st.prd.tokencanary${h}`),
    names: fc.uniqueArray(
      hex.map((h) => `NAMECANARY_${h.toUpperCase()}`),
      { minLength: 1, maxLength: 4 },
    ),
    value: hex.map((h) => `valuecanary-${h}`),
    includeNames: fc.boolean(),
  });

  it('holds no token, no value and (unless asked for) no secret name', async () => {
    await fc.assert(
      fc.asyncProperty(input, async ({ token, names, value, includeNames }) => {
        sdk.spanExporter.reset();
        emulator.addToken({ token, project: 'shop', config: 'prd' });
        const seeded = Object.fromEntries(names.map((n, i) => [n, `${value}-${i}`]));
        emulator.setSecrets('shop', 'prd', seeded);
        const secrets = await loadDopplerSecrets({
          ...options({ token }),
          ...(includeNames && { telemetry: { includeSecretNames: true } }),
        });
        try {
          await secrets.refresh();
          emulator.setSecrets(
            'shop',
            'prd',
            Object.fromEntries(names.map((n, i) => [n, `${value}-next-${i}`])),
          );
          await secrets.refresh();
          emulator.injectFaults({ kind: 'status', status: 503 });
          await secrets.refresh();
          emulator.revokeToken(token);
          await secrets.refresh();
          const exported = await everythingExported();
          expect(exported).toContain('doppler.secrets.refresh');
          expect(exported).not.toContain(token);
          expect(exported).not.toContain('tokencanary');
          expect(exported).not.toContain('valuecanary');
          if (includeNames) expect(exported).toContain(names[0]);
          else expect(exported).not.toContain('NAMECANARY');
        } finally {
          await secrets.close();
        }
      }),
      { numRuns: 12 },
    );
  });
});
