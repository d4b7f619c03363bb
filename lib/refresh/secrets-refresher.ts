import type { SecretsLoader, RefreshResult } from '../secrets-loader.js';
import { RECORD_CHECK, type SecretsService } from '../secrets.service.js';

/** The longest wait between checks after repeated failures, unless the interval is longer. */
const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * Runs refresh cycles: on a timer (with jitter, and backoff after failures) and on
 * demand (a webhook). One cycle at a time; a request during a cycle queues exactly one
 * more, since the change it announces may have happened after the running cycle asked.
 * Its timer is unref'd, so it never keeps the process alive, and `stop()` abandons a cycle
 * in flight by aborting its request.
 */
export class SecretsRefresher {
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<RefreshResult> | undefined;
  #queued: Promise<RefreshResult> | undefined;
  #failures = 0;
  #retryAfterMs: number | undefined;
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(
    private readonly loader: SecretsLoader,
    private readonly service: SecretsService,
    private readonly random: () => number = Math.random,
  ) {}

  /** The webhook settings, when the module accepts webhooks. */
  get webhook(): { readonly secret: string; readonly coalesceMs: number } | undefined {
    return this.loader.resolved.webhook;
  }

  /** Starts the timer, when the `refresh` option asks for one. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined || !this.loader.resolved.refresh) return;
    // The first check comes at a random point of the first interval: a fleet deployed
    // together would otherwise poll in lockstep and share one rate limit at the same second
    // (docs/bench: 0 rate-limited answers instead of 45% at 1,000 replicas).
    this.schedule(this.loader.resolved.refresh.interval * this.random());
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
      return this.run();
    });
    return this.#queued;
  }

  /** Stops the timer and abandons a cycle in flight. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    this.service[RECORD_CHECK]('closed');
  }

  private run(): Promise<RefreshResult> {
    const cycle = this.loader.refresh(this.service, this.#abort.signal).then((result) => {
      this.#failures = result.kind === 'failed' ? this.#failures + 1 : 0;
      this.#retryAfterMs = result.kind === 'failed' ? result.retryAfterMs : undefined;
      this.#inflight = undefined;
      return result;
    });
    this.#inflight = cycle;
    return cycle;
  }

  private schedule(firstDelay?: number): void {
    const policy = this.loader.resolved.refresh;
    if (this.#stopped || !policy) return;
    const base =
      this.#failures === 0
        ? policy.interval
        : Math.min(policy.interval * 2 ** this.#failures, Math.max(policy.interval, MAX_BACKOFF_MS));
    // Doppler's retry-after on a 429 is a floor: asking earlier only spends the rate limit.
    const delay =
      firstDelay ?? Math.max(base * (1 + policy.jitter * (2 * this.random() - 1)), this.#retryAfterMs ?? 0);
    this.#timer = setTimeout(() => {
      void this.refreshNow().then(() => this.schedule());
    }, delay);
    this.#timer.unref();
  }
}
