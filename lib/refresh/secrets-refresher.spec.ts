import type { Logger } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { FakeClock, settle } from '../../test/support/fake-clock.js';
import { DopplerError } from '../errors/doppler.errors.js';
import { ScopePin } from '../core/scope-pin.js';
import type { LoadedSet, LoadOutcome, LoadRequest, SecretsSource } from '../sources/secrets-source.js';
import { SecretsRefresher, type RefreshSettings } from './secrets-refresher.js';
import { SecretsState } from './secrets-state.js';

type Step = (request: LoadRequest) => Promise<LoadOutcome>;

/** A source that plays a script, one step per load, then repeats the last. */
class ScriptedSource implements SecretsSource {
  readonly description = 'scripted';
  readonly refreshable = true;
  readonly requests: LoadRequest[] = [];
  readonly acceptedSets: LoadedSet[] = [];
  readonly failures: string[] = [];
  acceptDelay: ((set: LoadedSet) => Promise<void>) | undefined;

  constructor(private readonly steps: Step[]) {}

  load(request: LoadRequest): Promise<LoadOutcome> {
    this.requests.push(request);
    const step = this.steps[Math.min(this.requests.length - 1, this.steps.length - 1)];
    if (!step) throw new Error('empty script');
    return step(request);
  }

  async accepted(set: LoadedSet): Promise<void> {
    await this.acceptDelay?.(set);
    this.acceptedSets.push(set);
  }

  failed(error: DopplerError): Promise<void> {
    this.failures.push(error.code);
    return Promise.resolve();
  }
}

const notModified: Step = (r) => Promise.resolve({ kind: 'not-modified', etag: r.etag ?? '"v1"' });
const set =
  (raw: Record<string, string>, etag: string): Step =>
  () =>
    Promise.resolve({ kind: 'set', set: { raw, origin: 'doppler-api', fetchedAt: new Date(0), etag } });
const fail =
  (error: DopplerError): Step =>
  () =>
    Promise.reject(error);
const never: Step = () => new Promise(() => undefined);
const rateLimited = (retryAfterMs: number): DopplerError =>
  new DopplerError('DOPPLER_RATE_LIMITED', 'rate limited', { status: 429, retryable: true, retryAfterMs });

class RecordingLogger {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(`log ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
}

interface Setup {
  refresh?: RefreshSettings['refresh'];
  webhook?: RefreshSettings['webhook'];
  deadline?: number;
  random?: () => number;
}

function setup(steps: Step[], options: Setup = {}) {
  const clock = new FakeClock();
  const logger = new RecordingLogger();
  const raw = { DOPPLER_PROJECT: 'shop', DOPPLER_CONFIG: 'dev', API_KEY: 'key-1' };
  const state = new SecretsState(
    {
      values: { API_KEY: 'key-1' },
      metadata: {
        source: 'doppler-api',
        fetchedAt: new Date(clock.now()),
        etag: '"v1"',
        project: 'shop',
        config: 'dev',
      },
      raw,
      rawForms: ['key-1'],
    },
    clock,
  );
  const pin = new ScopePin({}, 'dp.st.dev.token');
  pin.admit({ project: 'shop', config: 'dev' }, 'download');
  const source = new ScriptedSource(steps);
  const refresher = new SecretsRefresher(
    state as unknown as SecretsState<object>,
    source,
    {
      ...(options.refresh && { refresh: options.refresh }),
      ...(options.webhook && { webhook: options.webhook }),
      deadline: options.deadline ?? 15_000,
      scope: {},
    },
    pin,
    { clock, logger: logger as unknown as Logger, random: options.random ?? (() => 0.5) },
  );
  return { clock, logger, state, source, refresher };
}

const scoped = (extra: Record<string, string>) => ({
  DOPPLER_PROJECT: 'shop',
  DOPPLER_CONFIG: 'dev',
  ...extra,
});

describe('SecretsRefresher (fake time)', () => {
  it('checks first at a random point of the interval, then every interval with jitter', async () => {
    const { clock, source, refresher } = setup([notModified], {
      refresh: { interval: 60_000, jitter: 0.1 },
      random: () => 0.25,
    });
    refresher.start();
    await clock.advance(14_999);
    expect(source.requests).toHaveLength(0);
    await clock.advance(1);
    expect(source.requests).toHaveLength(1);
    // random 0.25 -> jitter factor 1 + 0.1 * (2 * 0.25 - 1) = 0.95
    await clock.advance(57_000);
    expect(source.requests).toHaveLength(2);
    await refresher.stop();
  });

  it('sends the ETag it holds and records a 304 as a success, without a new version', async () => {
    const { clock, source, state, refresher } = setup([notModified]);
    const before = state.status;
    await clock.advance(10);
    expect(await refresher.refreshNow()).toEqual({ kind: 'unchanged' });
    expect(source.requests[0]?.etag).toBe('"v1"');
    expect(state.status.version).toBe(1);
    expect(state.status.lastSuccessAt?.getTime()).toBeGreaterThan(before.lastSuccessAt?.getTime() ?? 0);
  });

  it('applies a changed set before recording it and writing the copy: status never names a version not served', async () => {
    const { source, state, refresher, logger } = setup([set(scoped({ API_KEY: 'key-2' }), '"v2"')]);
    let seen: { version: number; etag?: string; served: unknown } | undefined;
    source.acceptDelay = () => {
      seen = {
        version: state.status.version,
        etag: state.status.etag,
        served: state.current.get('API_KEY').reveal(),
      };
      return Promise.resolve();
    };
    const result = await refresher.refreshNow();
    expect(result).toMatchObject({ kind: 'changed', change: { changed: ['API_KEY'], version: 2 } });
    expect(seen).toEqual({ version: 2, etag: '"v2"', served: 'key-2' });
    expect(source.acceptedSets).toHaveLength(1);
    expect(logger.lines.join('\n')).not.toContain('key-2');
  });

  it('backs off after failures (doubling, capped at 5 minutes), and resets after a success', async () => {
    const down = new DopplerError('DOPPLER_SERVER_ERROR', 'down', { status: 503, retryable: true });
    const { clock, source, refresher } = setup(
      [fail(down), fail(down), fail(down), fail(down), fail(down), notModified],
      {
        refresh: { interval: 60_000, jitter: 0 },
        random: () => 0,
      },
    );
    refresher.start();
    await clock.advance(0);
    expect(source.requests).toHaveLength(1);
    const gaps: number[] = [];
    let last = clock.now();
    while (source.requests.length < 6) {
      const count = source.requests.length;
      await clock.advance(1000);
      if (source.requests.length > count) {
        gaps.push(clock.now() - last);
        last = clock.now();
      }
    }
    expect(gaps).toEqual([120_000, 240_000, 300_000, 300_000, 300_000]);
    await clock.advance(60_000);
    expect(source.requests).toHaveLength(7);
    await refresher.stop();
  });

  it.each([
    ['a retry-after beyond what a timer holds (2147484 s)', 2_147_484_000],
    ['a far-future retry-after date (a year)', 365 * 86_400_000],
  ])('never polls in a tight loop on %s: the wait is clamped to an hour', async (_what, retryAfterMs) => {
    const { clock, source, refresher } = setup([fail(rateLimited(retryAfterMs))], {
      refresh: { interval: 1_000, jitter: 0 },
      random: () => 0,
    });
    refresher.start();
    await clock.advance(2 * 3_600_000);
    // The first check at 0, then one an hour: never a 1 ms timer.
    expect(source.requests.length).toBeLessThanOrEqual(3);
    expect(Math.max(...clock.delays)).toBeLessThanOrEqual(3_600_000);
    expect(clock.delays.filter((d) => d > 0 && d < 1000)).toEqual([]);
    await refresher.stop();
  });

  it.each([
    ['retry-after: 0', 0],
    ['a retry-after date in the past', -60_000],
  ])('%s never removes the backoff', async (_what, retryAfterMs) => {
    const { clock, source, refresher } = setup([fail(rateLimited(Math.max(0, retryAfterMs)))], {
      refresh: { interval: 10_000, jitter: 0.1 },
      random: () => 0,
    });
    refresher.start();
    await clock.advance(60_000);
    // Backoff from a 10 s interval: 20 s, 40 s... so at most 3 checks in a minute, not thousands.
    expect(source.requests.length).toBeLessThanOrEqual(3);
    await refresher.stop();
  });

  it('ends a stalled cycle at its deadline and records it as a failure', async () => {
    const { clock, state, refresher, logger } = setup([never], { deadline: 2_000 });
    const result = refresher.refreshNow();
    await clock.advance(1_999);
    expect(state.status.consecutiveFailures).toBe(0);
    await clock.advance(1);
    await expect(result).resolves.toMatchObject({ kind: 'failed', code: 'DOPPLER_TIMEOUT' });
    expect(state.status).toMatchObject({
      consecutiveFailures: 1,
      lastFailureCode: 'DOPPLER_TIMEOUT',
      stale: true,
    });
    expect(logger.lines.at(-1)).toMatch(/did not finish within its 2000 ms deadline/);
  });

  it('after stop() a cycle in flight applies nothing, writes nothing, logs nothing, and leaves no timer', async () => {
    let release: (outcome: LoadOutcome) => void = () => undefined;
    const slow: Step = () => new Promise((resolve) => (release = resolve));
    const { clock, state, source, refresher, logger } = setup([slow], {
      refresh: { interval: 1_000, jitter: 0 },
    });
    refresher.start();
    await clock.advance(500);
    expect(source.requests).toHaveLength(1);
    expect(source.requests[0]?.signal.aborted).toBe(false);
    const stopped = refresher.stop();
    expect(source.requests[0]?.signal.aborted).toBe(true);
    release({
      kind: 'set',
      set: { raw: scoped({ API_KEY: 'key-2' }), origin: 'doppler-api', fetchedAt: new Date(), etag: '"v2"' },
    });
    await stopped;
    await settle();
    expect(state.status.version).toBe(1);
    expect(state.current.get('API_KEY').reveal()).toBe('key-1');
    expect(source.acceptedSets).toHaveLength(0);
    expect(logger.lines).toEqual([]);
    expect(clock.pending).toBe(0);
    expect(await refresher.refreshNow()).toEqual({ kind: 'stopped' });
  });

  it('refuses a refreshed set for another config and keeps the current one', async () => {
    const { state, refresher } = setup([
      set({ DOPPLER_PROJECT: 'shop', DOPPLER_CONFIG: 'prd', API_KEY: 'prd-key' }, '"p1"'),
    ]);
    expect(await refresher.refreshNow()).toMatchObject({ kind: 'failed', code: 'DOPPLER_SCOPE_MISMATCH' });
    expect(state.current.get('API_KEY').reveal()).toBe('key-1');
    expect(state.status.lastFailureCode).toBe('DOPPLER_SCOPE_MISMATCH');
  });

  it('tells the source about a final failure (so the fallback copy is dropped)', async () => {
    const revoked = new DopplerError('DOPPLER_UNAUTHORIZED', 'revoked', { status: 401 });
    const { source, refresher } = setup([fail(revoked)]);
    await refresher.refreshNow();
    expect(source.failures).toEqual(['DOPPLER_UNAUTHORIZED']);
  });

  it('a request during a cycle queues exactly one more', async () => {
    let release: () => void = () => undefined;
    const gated: Step = (r) =>
      new Promise((resolve) => (release = () => resolve({ kind: 'not-modified', etag: r.etag ?? '' })));
    const { source, refresher } = setup([gated, notModified]);
    const first = refresher.refreshNow();
    const second = refresher.refreshNow();
    const third = refresher.refreshNow();
    expect(second).toBe(third);
    release();
    await first;
    await second;
    expect(source.requests).toHaveLength(2);
  });

  describe('webhook triggers', () => {
    const webhook = { secret: 'x'.repeat(16), coalesceMs: 250, minInterval: 5_000 };

    it('a burst of 40 deliveries costs one check', async () => {
      const { clock, source, refresher } = setup([notModified], { webhook });
      const results = Array.from({ length: 40 }, () => refresher.onWebhook());
      await clock.advance(250);
      await Promise.all(results);
      expect(source.requests).toHaveLength(1);
    });

    it('replays spread over a minute cost at most one check per minInterval, and a delivery inside the window is kept for its end', async () => {
      const { clock, source, refresher } = setup([notModified], { webhook });
      for (let second = 0; second < 60; second++) {
        void refresher.onWebhook();
        await clock.advance(1_000);
      }
      const lastDeliveryAt = clock.now() - 1_000;
      await clock.advance(10_000);
      // One check per 5 s window over 60 s, plus the one owed to the last delivery.
      expect(source.requests.length).toBe(13);
      const startedAt = source.requests.map((r) => r.deadlineAt - 15_000);
      for (let i = 1; i < startedAt.length; i++) {
        expect((startedAt[i] ?? 0) - (startedAt[i - 1] ?? 0)).toBeGreaterThanOrEqual(5_000);
      }
      // The last delivery was not dropped: a check started after it.
      expect(startedAt.at(-1)).toBeGreaterThan(lastDeliveryAt);
    });

    it('webhook windows and their cycles leave no listener behind on the shutdown signal', async () => {
      // Node warns once a signal holds more than 10 abort listeners: 30 windows, each with its
      // cycle and that cycle's deadline, would pass that many times over if any stayed.
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(warning.name);
      process.on('warning', onWarning);
      try {
        const { clock, source, refresher } = setup([notModified], { webhook });
        for (let window = 0; window < 30; window++) {
          void refresher.onWebhook();
          await clock.advance(5_000);
        }
        await new Promise((resolve) => setImmediate(resolve));
        expect(source.requests).toHaveLength(30);
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    });
  });
});

describe('SecretsRefresher and push channels', () => {
  const webhook = { secret: 'webhook-secret-0123456789', coalesceMs: 0, minInterval: 250 };

  it('names the live channel: a live push channel, else polling, else the webhook', async () => {
    const onlyWebhook = setup([notModified], { webhook });
    onlyWebhook.refresher.start();
    expect(onlyWebhook.state.status.channel?.kind).toBe('webhook');
    await onlyWebhook.refresher.stop();

    const { clock, source, state, refresher } = setup([notModified], {
      refresh: { interval: 60_000, jitter: 0 },
      webhook,
    });
    let report: ((state: 'live' | 'down' | 'unavailable') => void) | undefined;
    let changed: (() => void) | undefined;
    (source as SecretsSource).watch = (onChange, context) => {
      changed = onChange;
      report = (s) => context?.channel('stream', s);
      report('down');
      return () => undefined;
    };
    refresher.start();
    expect(state.status.channel?.kind).toBe('polling');
    expect(state.status.stream).toMatchObject({ state: 'down', forMs: 0 });
    await clock.advance(1_000);
    report?.('live');
    expect(state.status.channel).toEqual({ kind: 'stream', since: new Date(clock.now()) });
    expect(state.status.stream?.since).toEqual(new Date(clock.now()));
    await clock.advance(500);
    report?.('live');
    expect(state.status.stream?.forMs).toBe(500);
    report?.('unavailable');
    expect(state.status.channel?.kind).toBe('polling');
    changed?.();
    await settle();
    expect(source.requests).toHaveLength(1);
    await refresher.stop();
  });

  it('retries a rate-limited pushed cycle at its retry-after plus a spread of the minute, until it gets through', async () => {
    const { clock, source, refresher } = setup(
      [fail(rateLimited(20_000)), fail(rateLimited(20_000)), notModified],
      {
        refresh: { interval: 300_000, jitter: 0 },
        random: () => 0.5,
      },
    );
    let changed: (() => void) | undefined;
    (source as SecretsSource).watch = (onChange) => {
      changed = onChange;
      return () => undefined;
    };
    refresher.start();
    // The timer's first check is at interval x random = 150 s; the push comes first.
    changed?.();
    await settle();
    expect(source.requests).toHaveLength(1);
    // retry-after 20 s plus half of the 60 s spread: 50 s, not 20 s (every refused replica's
    // retry-after names the same second) and not the timer's backoff.
    await clock.advance(49_999);
    expect(source.requests).toHaveLength(1);
    await clock.advance(1);
    expect(source.requests).toHaveLength(2);
    // Refused again: again at least the retry-after, spread.
    await clock.advance(49_999);
    expect(source.requests).toHaveLength(2);
    await clock.advance(1);
    expect(source.requests).toHaveLength(3);
    await refresher.stop();
    expect(clock.pending).toBe(0);
  });

  it("gives up pushed retries after twenty, leaving the timer's backoff; never a retry before its retry-after", async () => {
    const outcomes = Array.from({ length: 40 }, () => fail(rateLimited(1_000)));
    const { clock, source, refresher } = setup(outcomes, {
      refresh: { interval: 3_600_000, jitter: 0 },
      random: () => 0.5,
    });
    let changed: (() => void) | undefined;
    (source as SecretsSource).watch = (onChange) => {
      changed = onChange;
      return () => undefined;
    };
    refresher.start();
    changed?.();
    await settle();
    for (let retry = 1; retry <= 20; retry++) {
      await clock.advance(30_999);
      expect(source.requests).toHaveLength(retry);
      await clock.advance(1);
      expect(source.requests).toHaveLength(retry + 1);
    }
    // No twenty-first push retry: only the timer is left (its first check at half the hour, 1800 s).
    await clock.advance(600_000);
    expect(source.requests).toHaveLength(21);
    await refresher.stop();
  });
});
