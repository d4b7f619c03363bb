import * as api from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { loadOtelApi, type OtelApi } from './otel-api.js';

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
});
