import * as api from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { loadOtelApi, otelProviderRegistered, type OtelApi } from './otel-api.js';

describe('the OpenTelemetry API as this module declares it', () => {
  it('is what the real package has (checked by the compiler too)', async () => {
    // A type error here means the declared shapes drifted from @opentelemetry/api.
    const declared: OtelApi = api;
    const loaded = await loadOtelApi();
    expect(loaded?.metrics.getMeter).toBe(declared.metrics.getMeter);
    expect(loaded?.createNoopMeter()).toBe(api.createNoopMeter());
  });

  it('loads once per process', async () => {
    expect(loadOtelApi()).toBe(loadOtelApi());
    expect(await loadOtelApi()).toBeDefined();
  });

  it('sees a provider registered with the API in its global registry, and its removal', () => {
    expect(otelProviderRegistered()).toBe(false);
    expect(api.metrics.setGlobalMeterProvider(new MeterProvider())).toBe(true);
    expect(otelProviderRegistered()).toBe(true);
    api.metrics.disable();
    expect(otelProviderRegistered()).toBe(false);
    expect(api.trace.setGlobalTracerProvider(new BasicTracerProvider())).toBe(true);
    expect(otelProviderRegistered()).toBe(true);
    api.trace.disable();
    expect(otelProviderRegistered()).toBe(false);
  });
});
