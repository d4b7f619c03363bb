import { HealthIndicatorService } from '@nestjs/terminus';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import type { SecretsMetadata } from '../interfaces/secrets-metadata.interface.js';
import type { SecretsStatus } from '../interfaces/secrets-status.interface.js';
import { SecretsService, stateOf } from '../secrets.service.js';
import {
  DEFAULT_DOPPLER_HEALTH_MAX_AGE_MS,
  DEFAULT_DOPPLER_HEALTH_MAX_STREAM_DOWN_MS,
  judgeDopplerHealth,
} from './doppler-health.js';
import { DopplerHealthIndicator } from './doppler-health.indicator.js';
import type { DopplerHealthDetails } from './index.js';

const MINUTE = 60_000;

function described(
  status: Partial<SecretsStatus>,
  metadata: Partial<SecretsMetadata> = {},
): { metadata: SecretsMetadata; status: SecretsStatus } {
  return {
    metadata: { source: 'doppler-api', fetchedAt: new Date(0), ...metadata },
    status: { version: 1, consecutiveFailures: 0, ageMs: 0, stale: false, ...status },
  };
}

const failing = (ageMs: number) =>
  described({
    ageMs,
    stale: true,
    consecutiveFailures: 3,
    lastFailureCode: 'DOPPLER_SERVER_ERROR',
    lastFailureAt: new Date('2030-01-01T00:00:00Z'),
    lastSuccessAt: new Date('2029-12-31T23:00:00Z'),
  });

const fromFallback = (ageMs: number) =>
  described(
    { ageMs, stale: true },
    {
      source: 'fallback',
      fallback: { reason: 'DOPPLER_TIMEOUT', attempts: 3, ageMs, format: 'nestjs-doppler' },
    },
  );

const watching = (state: 'live' | 'down' | 'unavailable', forMs: number) =>
  described({
    channel: { kind: state === 'live' ? 'stream' : 'polling', since: new Date('2030-01-01T00:00:00Z') },
    stream: { state, since: new Date('2030-01-01T00:00:00Z'), forMs },
  });

describe('judgeDopplerHealth and the watch stream', () => {
  it('reports a stream down longer than 15 minutes by default, with the channel in use', () => {
    expect(DEFAULT_DOPPLER_HEALTH_MAX_STREAM_DOWN_MS).toBe(15 * MINUTE);
    expect(judgeDopplerHealth(watching('down', 15 * MINUTE)).healthy).toBe(true);
    const { healthy, details } = judgeDopplerHealth(watching('down', 15 * MINUTE + 1));
    expect(healthy).toBe(false);
    expect(details).toMatchObject({
      channel: 'polling',
      channelSince: '2030-01-01T00:00:00.000Z',
      stream: 'down',
      streamForMs: 15 * MINUTE + 1,
    });
    expect(details.message).toMatch(/watch stream has been down for 900001 ms \(limit 900000 ms/);
  });

  it('never fails for a live or an unavailable stream, and honours the option', () => {
    expect(judgeDopplerHealth(watching('live', 99 * MINUTE)).healthy).toBe(true);
    expect(judgeDopplerHealth(watching('unavailable', 99 * MINUTE)).healthy).toBe(true);
    expect(judgeDopplerHealth(watching('down', 2 * MINUTE), { maxStreamDownMs: MINUTE }).healthy).toBe(false);
    expect(judgeDopplerHealth(watching('down', 99 * MINUTE), { maxStreamDownMs: Infinity }).healthy).toBe(
      true,
    );
    expect(() => judgeDopplerHealth(watching('down', 0), { maxStreamDownMs: -1 })).toThrow(
      DopplerConfigurationError,
    );
  });
});

describe('judgeDopplerHealth', () => {
  it('is up while Doppler confirms the set, at any age (no refresh is not a failure)', () => {
    const { healthy, details } = judgeDopplerHealth(described({ ageMs: 30 * 24 * 60 * MINUTE }));
    expect(healthy).toBe(true);
    expect(details).toEqual({
      source: 'doppler-api',
      version: 1,
      ageMs: 30 * 24 * 60 * MINUTE,
      maxAgeMs: DEFAULT_DOPPLER_HEALTH_MAX_AGE_MS,
      stale: false,
      consecutiveFailures: 0,
    });
  });

  it('defaults the threshold to 15 minutes', () => {
    expect(DEFAULT_DOPPLER_HEALTH_MAX_AGE_MS).toBe(15 * MINUTE);
    expect(judgeDopplerHealth(failing(15 * MINUTE)).healthy).toBe(true);
    expect(judgeDopplerHealth(failing(15 * MINUTE + 1)).healthy).toBe(false);
  });

  it('stays up while refreshes fail within the threshold, and says so', () => {
    const { healthy, details } = judgeDopplerHealth(failing(4 * MINUTE), { maxAgeMs: 5 * MINUTE });
    expect(healthy).toBe(true);
    expect(details).toMatchObject({
      stale: true,
      consecutiveFailures: 3,
      lastFailureCode: 'DOPPLER_SERVER_ERROR',
      lastFailureAt: '2030-01-01T00:00:00.000Z',
      lastSuccessAt: '2029-12-31T23:00:00.000Z',
    });
    expect(details.message).toBeUndefined();
  });

  it('is down when refreshes fail and Doppler has not confirmed the set for longer than maxAgeMs', () => {
    const { healthy, details } = judgeDopplerHealth(failing(5 * MINUTE + 1), { maxAgeMs: 5 * MINUTE });
    expect(healthy).toBe(false);
    expect(details.message).toBe(
      'Doppler has not confirmed the secrets for 300001 ms (limit 300000 ms): the last 3 check(s) with Doppler failed (DOPPLER_SERVER_ERROR).',
    );
  });

  it('is up on a fallback copy within maxAgeMs, down beyond it', () => {
    const young = judgeDopplerHealth(fromFallback(MINUTE), { maxAgeMs: 2 * MINUTE });
    expect(young).toMatchObject({
      healthy: true,
      details: { source: 'fallback', stale: true, fallbackReason: 'DOPPLER_TIMEOUT' },
    });
    const old = judgeDopplerHealth(fromFallback(3 * MINUTE), { maxAgeMs: 2 * MINUTE });
    expect(old.healthy).toBe(false);
    expect(old.details.message).toBe(
      'Serving the fallback copy of the Doppler secrets because Doppler failed at start-up (DOPPLER_TIMEOUT); Doppler has not confirmed them for 180000 ms (limit 120000 ms).',
    );
  });

  it('maxAgeMs 0 reports down as soon as the set is stale', () => {
    expect(judgeDopplerHealth(failing(1), { maxAgeMs: 0 }).healthy).toBe(false);
    expect(judgeDopplerHealth(described({ ageMs: 1 }), { maxAgeMs: 0 }).healthy).toBe(true);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '60000' as unknown as number])(
    'refuses maxAgeMs %s',
    (maxAgeMs) => {
      expect(() => judgeDopplerHealth(described({}), { maxAgeMs })).toThrow(DopplerConfigurationError);
    },
  );
});

describe('DopplerHealthIndicator', () => {
  const values = { API_KEY: 'canary-value-for-health-0001', POOL: '5' };
  const build = () => {
    const secrets = new SecretsService(values, { source: 'doppler-api', fetchedAt: new Date() });
    return {
      secrets,
      indicator: new DopplerHealthIndicator(secrets, new HealthIndicatorService(), undefined),
    };
  };

  it("reports under 'doppler' by default, or the key given", () => {
    const { indicator } = build();
    const byDefault = indicator.isHealthy();
    expect(byDefault.doppler).toMatchObject({
      status: 'up',
      source: 'doppler-api',
      version: 1,
      stale: false,
    });
    expectTypeOf(byDefault.doppler).toExtend<{ status: 'up' | 'down' } & DopplerHealthDetails>();

    const named = indicator.isHealthy('secrets', { maxAgeMs: 1000 });
    expect(named).toEqual({ secrets: expect.objectContaining({ status: 'up', maxAgeMs: 1000 }) });
    expectTypeOf(named).toHaveProperty('secrets');
  });

  it('turns down after a failed refresh once the age passes maxAgeMs; never shows a value', async () => {
    const { secrets, indicator } = build();
    stateOf(secrets).recordFailure('DOPPLER_UNREACHABLE');
    expect(indicator.isHealthy('doppler', { maxAgeMs: 60_000 }).doppler.status).toBe('up');
    await new Promise((r) => setTimeout(r, 5));
    const down = indicator.isHealthy('doppler', { maxAgeMs: 1 });
    expect(down.doppler).toMatchObject({
      status: 'down',
      stale: true,
      consecutiveFailures: 1,
      lastFailureCode: 'DOPPLER_UNREACHABLE',
    });
    expect(JSON.stringify(down)).not.toContain(values.API_KEY);

    // A successful check makes the set fresh again.
    stateOf(secrets).recordSuccess(undefined);
    expect(indicator.isHealthy('doppler', { maxAgeMs: 1 }).doppler.status).toBe('up');
  });
});
