import type { Logger } from '@nestjs/common';
import { dopplerError } from '../errors/create-doppler-error.js';
import { DopplerError } from '../errors/doppler.errors.js';
import { clampDelay, startDeadline, type Cancel, type Clock } from '../core/clock.js';
import { printable } from '../core/printable.js';
import type { DopplerScope } from '../core/scope.js';
import type { ScopePin } from '../core/scope-pin.js';
import { within } from '../core/within.js';
import type { SecretsChange } from '../interfaces/secrets-status.interface.js';
import type { PushChannel, SecretsSource } from '../sources/secrets-source.js';
import { validateLoadedSet } from '../sources/validate-loaded-set.js';
import type { ResolvedModuleOptions } from '../options/resolve-options.js';
import type { SecretsSchema } from '../validation/validate-secrets.js';
import type { FetchTelemetry, InstanceTelemetry } from '../telemetry/doppler-telemetry.js';
import type { RefreshResult } from './refresh-result.js';
import type { SecretsState } from './secrets-state.js';

/** The longest wait between checks after repeated failures, unless the interval is longer. */
const MAX_BACKOFF_MS = 5 * 60_000;
/** The longest `retry-after` honoured, unless the interval is longer: an hour is a decision, a month a bug. */
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * After a rate-limited pushed re-download, the retry comes at `retry-after` plus a random part of
 * this window. Doppler counts a token's reads over a sliding minute and its `retry-after` names
 * when the next slot frees, the same second for every replica it refused: sent exactly then, a
 * fleet's retries meet the limit together again. Spread over the minute, the slots freeing in it
 * go to different replicas (the watch bench's fleet run shows the difference).
 */
const PUSH_RETRY_SPREAD_MS = 60_000;

/** Pushed re-downloads retried after 429s, before only the timer's usual backoff is left. */
const MAX_PUSH_RETRIES = 20;

/** What the refresher works with, taken from the resolved options. */
export interface RefreshSettings {
  readonly refresh?: ResolvedModuleOptions['refresh'];
  readonly webhook?: ResolvedModuleOptions['webhook'];
  /** Milliseconds one cycle may take, every await included. */
  readonly deadline: number;
  readonly schema?: SecretsSchema;
  readonly scope: DopplerScope;
}

export interface RefreshDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random?: () => number;
  /** One span and one duration per cycle. */
  readonly telemetry?: InstanceTelemetry;
}

/**
 * Keeps a service current, and is the only writer of its state. Runs cycles on a timer (jitter,
 * backoff after failures, `retry-after` as a floor, every delay clamped) and on demand (a
 * webhook: coalesced, and at most one per `webhook.minInterval`). One cycle at a time; a request
 * during a cycle queues exactly one more, since the change it announces may have happened after
 * the running cycle asked. Each cycle ends by its deadline, a stall included, and a stall is a
 * recorded failure. After {@link stop} nothing is applied, written or logged, and no timer or
 * request is left behind.
 */
export class SecretsRefresher {
  #timer: Cancel | undefined;
  #inflight: Promise<RefreshResult> | undefined;
  #queued: Promise<RefreshResult> | undefined;
  #failures = 0;
  #retryAfterMs: number | undefined;
  #stopped = false;
  readonly #abort = new AbortController();
  #webhookPending: Promise<RefreshResult> | undefined;
  #lastWebhookCycleAt = Number.NEGATIVE_INFINITY;
  #unwatch: (() => void) | undefined;
  #push: { readonly kind: PushChannel; readonly state: 'live' | 'down' | 'unavailable' } | undefined;
  /** The retry of a rate-limited pushed re-download, when one waits. */
  #pushRetry: (() => void) | undefined;
  /** Whether the watch stream has been live once: a stream down after that is reconnecting. */
  #streamWasLive = false;
  #sourceClosed: Promise<void> | undefined;
  readonly #random: () => number;

  constructor(
    private readonly state: SecretsState<object>,
    private readonly source: SecretsSource,
    private readonly settings: RefreshSettings,
    private readonly pin: ScopePin,
    private readonly deps: RefreshDeps,
  ) {
    this.#random = deps.random ?? Math.random;
  }

  /** The webhook settings, when the module accepts webhooks. */
  get webhook(): { readonly secret: string } | undefined {
    return this.settings.webhook;
  }

  /** Starts the source's own change channel, if it has one, and the timer the `refresh` option asks for. */
  start(): void {
    if (this.#stopped) return;
    this.#unwatch ??= this.source.watch?.(() => this.onPush(), {
      channel: (kind, state) => {
        const wasLive = this.#streamWasLive;
        this.#push = { kind, state };
        if (kind === 'stream') {
          this.state.recordStream(state);
          if (state === 'live') this.#streamWasLive = true;
          this.deps.telemetry?.streamState(
            state === 'live'
              ? 'connected'
              : state === 'unavailable'
                ? 'stopped'
                : wasLive
                  ? 'reconnecting'
                  : 'connecting',
          );
        }
        this.recordChannel();
      },
      random: this.#random,
      ...(this.deps.telemetry !== undefined && {
        requests: { response: (status, errorType) => this.deps.telemetry?.countRequest(status, errorType) },
      }),
    });
    this.recordChannel();
    if (this.#timer !== undefined || !this.settings.refresh) return;
    // The first check comes at a random point of the first interval: a fleet deployed
    // together would otherwise poll in lockstep and share one rate limit at the same second.
    this.schedule(this.settings.refresh.interval * this.#random());
  }

  /**
   * Runs a cycle now, or right after the one running.
   * @returns what the cycle did; never rejects.
   */
  refreshNow(): Promise<RefreshResult> {
    if (this.#stopped) return Promise.resolve({ kind: 'stopped' });
    if (this.#inflight === undefined) return this.run();
    this.#queued ??= this.#inflight.then(() => {
      this.#queued = undefined;
      return this.#stopped ? { kind: 'stopped' as const } : this.run();
    });
    return this.#queued;
  }

  /**
   * A webhook announced a change: one cycle after `coalesceMs`, shared by every delivery until it
   * starts, and never sooner than `minInterval` after the previous webhook cycle started (a
   * delivery inside that window is kept: it runs at the window's end).
   */
  onWebhook(): Promise<RefreshResult> {
    const webhook = this.settings.webhook;
    if (this.#stopped || webhook === undefined) return Promise.resolve({ kind: 'stopped' });
    if (this.#webhookPending) return this.#webhookPending;
    const now = this.deps.clock.now();
    const at = Math.max(now + webhook.coalesceMs, this.#lastWebhookCycleAt + webhook.minInterval);
    const pending = new Promise<void>((resolve) => {
      const signal = this.#abort.signal;
      // The shutdown listener goes when the window ends, or every webhook window would leave one.
      const onStop = () => (cancel(), resolve());
      const cancel = this.deps.clock.schedule(() => {
        signal.removeEventListener('abort', onStop);
        resolve();
      }, at - now);
      signal.addEventListener('abort', onStop, { once: true });
    }).then(() => {
      this.#webhookPending = undefined;
      this.#lastWebhookCycleAt = this.deps.clock.now();
      return this.refreshNow();
    });
    this.#webhookPending = pending;
    return pending;
  }

  /**
   * Stops the timer and abandons a cycle in flight; resolves once it has settled and the source
   * is closed. Idempotent.
   */
  async stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#timer?.();
      this.#timer = undefined;
      this.#unwatch?.();
      this.#unwatch = undefined;
      this.#pushRetry?.();
      this.#pushRetry = undefined;
      if (this.#push?.kind === 'stream') this.deps.telemetry?.streamState('stopped');
      this.#abort.abort();
    }
    await this.#inflight;
    await (this.#sourceClosed ??= this.source.close?.() ?? Promise.resolve());
  }

  /**
   * The source's push channel says the set may have changed. A cycle that Doppler rate-limits
   * (429) is retried at its `retry-after` (capped) plus a random part of
   * {@link PUSH_RETRY_SPREAD_MS}, at most {@link MAX_PUSH_RETRIES} times: the change is known to be
   * waiting, so it does not wait for the timer's backoff, and the spread keeps a fleet's retries
   * from meeting the limit together. Each retry waits at least the `retry-after`: never a loop.
   */
  private onPush(attempt = 0): void {
    if (attempt === 0) {
      // A new push supersedes a retry pending for an older one: this cycle reads the newest set.
      this.#pushRetry?.();
      this.#pushRetry = undefined;
    }
    void this.refreshNow().then((result) => {
      if (result.kind !== 'failed' || result.retryAfterMs === undefined) return;
      const policy = this.settings.refresh;
      if (this.#stopped || !policy || attempt >= MAX_PUSH_RETRIES || this.#pushRetry !== undefined) return;
      const delay = clampDelay(
        cappedRetryAfter(result.retryAfterMs, policy.interval) + this.#random() * PUSH_RETRY_SPREAD_MS,
      );
      this.#pushRetry = this.deps.clock.schedule(() => {
        this.#pushRetry = undefined;
        this.onPush(attempt + 1);
      }, delay);
    });
  }

  /** The live channel, for `status.channel`: a live push channel, else the timer, else the webhook. */
  private recordChannel(): void {
    const push = this.#push?.state === 'live' ? this.#push.kind : undefined;
    this.state.recordChannel(
      push ?? (this.settings.refresh ? 'polling' : this.settings.webhook ? 'webhook' : undefined),
    );
  }

  private run(): Promise<RefreshResult> {
    const fetch = this.deps.telemetry?.startFetch('refresh');
    const cycle = this.cycle(fetch).then((result) => {
      if (fetch) reportCycle(fetch, result, this.state);
      this.#failures = result.kind === 'failed' ? this.#failures + 1 : 0;
      this.#retryAfterMs = result.kind === 'failed' ? result.retryAfterMs : undefined;
      this.#inflight = undefined;
      return result;
    });
    this.#inflight = cycle;
    return cycle;
  }

  /** One cycle: load (with the ETag), validate a changed set whole, apply it, record, keep a copy. */
  private async cycle(observer?: FetchTelemetry): Promise<RefreshResult> {
    const { clock, logger } = this.deps;
    const deadline = this.settings.deadline;
    const { signal, release } = startDeadline(clock, deadline, this.#abort.signal);
    const deadlineAt = clock.now() + deadline;
    try {
      const load = () =>
        this.source.load({
          phase: 'refresh',
          signal,
          deadlineAt,
          ...(this.state.etag !== undefined && { etag: this.state.etag }),
          ...(observer !== undefined && { observer }),
        });
      const outcome = await within(observer ? observer.inSpan(load) : load(), signal, () =>
        stalled(deadline),
      );
      if (this.#stopped) return { kind: 'stopped' };
      if (outcome.kind === 'not-modified') {
        this.state.recordSuccess(outcome.etag);
        return { kind: 'unchanged' };
      }
      const next = await validateLoadedSet(outcome.set, this.settings.schema, this.settings.scope, this.pin, {
        signal,
      });
      if (this.#stopped) return { kind: 'stopped' };
      // Applied before it is recorded and copied: status never names a version not yet served.
      const change = this.state.apply(next);
      this.state.recordSuccess(next.metadata.etag);
      if (change) logger.log(`Secrets refreshed to version ${change.version}: ${describeChange(change)}`);
      await this.source.accepted?.(outcome.set, next.metadata, signal);
      return change ? { kind: 'changed', change } : { kind: 'unchanged' };
    } catch (error: unknown) {
      if (this.#stopped) return { kind: 'stopped' };
      const known = error instanceof DopplerError ? error : undefined;
      const code = known?.code ?? 'DOPPLER_UNREACHABLE';
      this.state.recordFailure(code);
      if (known) await this.source.failed?.(known, signal);
      if (this.#stopped) return { kind: 'stopped' };
      logger.warn(
        `Refreshing secrets failed; the current set is kept. ${known?.message ?? unexpected(error)}`,
      );
      return {
        kind: 'failed',
        code,
        ...(known?.retryAfterMs !== undefined && { retryAfterMs: known.retryAfterMs }),
      };
    } finally {
      // The cycle is over: its deadline has nothing left to bound.
      release();
    }
  }

  private schedule(firstDelay?: number): void {
    const policy = this.settings.refresh;
    if (this.#stopped || !policy) return;
    const base =
      this.#failures === 0
        ? policy.interval
        : Math.min(
            policy.interval * 2 ** Math.min(this.#failures, 30),
            Math.max(policy.interval, MAX_BACKOFF_MS),
          );
    const jittered = base * (1 + policy.jitter * (2 * this.#random() - 1));
    // Doppler's retry-after on a 429 is a floor (asking earlier only spends the rate limit), but
    // never a reason to wait less than the backoff, nor longer than an hour (or the interval).
    const retryAfter = cappedRetryAfter(this.#retryAfterMs ?? 0, policy.interval);
    this.arm(clampDelay(firstDelay ?? Math.max(jittered, retryAfter)));
  }

  private arm(delay: number): void {
    this.#timer = this.deps.clock.schedule(() => {
      this.#timer = undefined;
      void this.refreshNow().then(() => this.schedule());
    }, delay);
  }
}

/** Doppler's `retry-after`, honoured up to an hour (or the interval, when that is longer). */
function cappedRetryAfter(retryAfterMs: number, interval: number): number {
  return Math.min(retryAfterMs, Math.max(interval, MAX_RETRY_AFTER_MS));
}

function reportCycle(fetch: FetchTelemetry, result: RefreshResult, state: SecretsState<object>): void {
  if (result.kind === 'changed') fetch.changed(state.current.metadata, result.change.version, result.change);
  else if (result.kind === 'unchanged') fetch.unchanged();
  else if (result.kind === 'failed') fetch.failed(result.code);
  else fetch.abandoned();
}

/** Names an error that is not ours by its class only: its message may quote anything. */
function unexpected(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  return `An unexpected ${/^[A-Z][A-Za-z]{0,40}Error$/.test(name) ? name : 'error'} was thrown (a bug: please report it).`;
}

function stalled(deadline: number): DopplerError {
  return dopplerError(
    'DOPPLER_TIMEOUT',
    `A refresh did not finish within its ${deadline} ms deadline (the deadline option): the token file, the network, the mounted volume or the fallback volume stalled. The current set is kept.`,
    { retryable: true, reason: 'REFRESH_STALLED' },
  );
}

/** Names listed in one log line; a change of 10,000 keys is summarised, not spelled out. */
const MAX_NAMES_LOGGED = 20;

function describeChange(change: SecretsChange): string {
  const names = (list: readonly string[]): string =>
    list
      .slice(0, MAX_NAMES_LOGGED)
      .map((name) => printable(name, 128))
      .join(', ') + (list.length > MAX_NAMES_LOGGED ? ` and ${list.length - MAX_NAMES_LOGGED} more` : '');
  const parts = [
    change.changed.length > 0 && `changed ${names(change.changed)}`,
    change.added.length > 0 && `added ${names(change.added)}`,
    change.removed.length > 0 && `removed ${names(change.removed)}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'back on Doppler after the fallback copy';
}
