import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.js';
import { createInstanceTelemetry, NOOP_TELEMETRY, type TelemetryIdentity } from './doppler-telemetry.js';
import { loadOtelApi } from './otel-api.js';

const identity: TelemetryIdentity = { scope: {}, source: 'doppler-api', fallback: false };
const on = { enabled: true, includeSecretNames: false };

afterEach(() => {
  metrics.disable();
  trace.disable();
});

describe('createInstanceTelemetry: nothing to report to costs nothing', () => {
  it('is the no-op without @opentelemetry/api installed', async () => {
    expect(await createInstanceTelemetry(on, identity, systemClock, () => Promise.resolve(undefined))).toBe(
      NOOP_TELEMETRY,
    );
  });

  it('is the no-op with the API but no SDK registered at boot', async () => {
    expect(await createInstanceTelemetry(on, identity, systemClock)).toBe(NOOP_TELEMETRY);
  });

  it('is the no-op when turned off, even with an SDK', async () => {
    metrics.setGlobalMeterProvider(new MeterProvider());
    expect(await createInstanceTelemetry({ ...on, enabled: false }, identity, systemClock)).toBe(
      NOOP_TELEMETRY,
    );
  });

  it('with no provider registered, answers at once without loading the API', () => {
    let loads = 0;
    const load = () => (loads++, loadOtelApi());
    expect(createInstanceTelemetry(on, identity, systemClock, load)).toBe(NOOP_TELEMETRY);
    expect(loads).toBe(0);
  });

  it.each([
    ['a meter provider', () => metrics.setGlobalMeterProvider(new MeterProvider())],
    ['a tracer provider', () => trace.setGlobalTracerProvider(new BasicTracerProvider())],
  ])('loads the API once %s is registered, and not after it is removed', async (_, register) => {
    let loads = 0;
    const load = () => (loads++, loadOtelApi());
    expect(register()).toBe(true);
    expect(await createInstanceTelemetry(on, identity, systemClock, load)).not.toBe(NOOP_TELEMETRY);
    expect(loads).toBe(1);
    metrics.disable();
    trace.disable();
    expect(createInstanceTelemetry(on, identity, systemClock, load)).toBe(NOOP_TELEMETRY);
    expect(loads).toBe(1);
  });

  it('the no-op hands out one shared fetch: nothing is allocated per cycle', () => {
    expect(NOOP_TELEMETRY.startFetch('refresh')).toBe(NOOP_TELEMETRY.startFetch('bootstrap'));
  });

  it.each([
    ['a meter provider', () => metrics.setGlobalMeterProvider(new MeterProvider())],
    ['a tracer provider', () => trace.setGlobalTracerProvider(new BasicTracerProvider())],
  ])('reports once %s is registered before boot', async (_, register) => {
    expect(register()).toBe(true);
    const telemetry = await createInstanceTelemetry(on, identity, systemClock, loadOtelApi);
    expect(telemetry).not.toBe(NOOP_TELEMETRY);
  });
});

describe('createInstanceTelemetry once the API has loaded (every boot after the first)', () => {
  it('answers without waiting, and with no SDK asks nothing of the registration', async () => {
    await loadOtelApi();
    let asked = 0;
    const made = createInstanceTelemetry(on, () => (asked++, identity), systemClock);
    expect(made).toBe(NOOP_TELEMETRY);
    expect(asked).toBe(0);
  });

  it('still takes the global providers at each boot: an SDK registered after the first boot is seen by the next', async () => {
    await loadOtelApi();
    expect(createInstanceTelemetry(on, identity, systemClock)).toBe(NOOP_TELEMETRY);
    metrics.setGlobalMeterProvider(new MeterProvider());
    let asked = 0;
    const made = createInstanceTelemetry(on, () => (asked++, identity), systemClock);
    expect(made).not.toBeInstanceOf(Promise);
    expect(made).not.toBe(NOOP_TELEMETRY);
    expect(asked).toBe(1);
  });
});

describe('createInstanceTelemetry: attributes', () => {
  it('names the project and config only when they are Doppler names (a server may send anything)', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    const telemetry = await createInstanceTelemetry(on, { ...identity, name: 'billing' }, systemClock);
    const fetch = telemetry.startFetch('bootstrap');
    fetch.changed({ project: 'shop\nx=1', config: 'prd', source: 'doppler-api', fetchedAt: new Date() }, 1);
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes['doppler.config']).toBe('prd');
    expect(span?.attributes['doppler.instance']).toBe('billing');
    expect(Object.keys(span?.attributes ?? {})).not.toContain('doppler.project');
  });
});
