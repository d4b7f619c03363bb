import type { Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { dopplerError } from '../../errors/create-doppler-error.js';
import { DopplerError } from '../../errors/doppler.errors.js';
import { clampDelay, type Cancel, type Clock } from '../../core/clock.js';
import { formatDuration } from '../../core/format-duration.js';
import { SseParser, type SseLimits } from './sse-parser.js';

/** Where the stream stands, as `status.stream.state` reports it. */
export type WatchStreamState = 'live' | 'down' | 'unavailable';

/** How the stream behaves; the defaults are in `DEFAULT_WATCH_TIMING`. */
export interface WatchTiming {
  /** No byte for this long (no ping, no event) means the stream stalled: it is closed and reopened. */
  readonly stallMs: number;
  /** First reconnect wait; it doubles per failure up to {@link maxBackoffMs}. */
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
  /** A stream that stayed open this long was healthy: the next reconnect starts from the base wait. */
  readonly healthyAfterMs: number;
  /** The longest `retry-after` honoured on a 429 to the stream itself. */
  readonly maxRetryAfterMs: number;
  /** Re-downloads after an event (or a reconnect) are spread at random over this many milliseconds. */
  readonly spreadMs: number;
}

// Doppler does not document its ping interval; 90 s without a byte is several pings missed on
// any interval a server keeping a proxy's idle timer alive would use (30-60 s), and short enough
// that a silently dead stream is replaced within a couple of minutes.
// Backoff 1 s doubling to 60 s, as the Doppler CLI does (with jitter); reset only after a minute
// of health, so a server that accepts and drops at once cannot make the client loop at 1 s.
// spreadMs: see README "Watch stream" (fleet window): it keeps the promise of "a second or two"
// while not firing a fleet's re-downloads in the same millisecond.
export const DEFAULT_WATCH_TIMING: WatchTiming = {
  stallMs: 90_000,
  baseBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  healthyAfterMs: 60_000,
  maxRetryAfterMs: 10 * 60_000,
  spreadMs: 2_000,
};

/** What the stream runs on. */
export interface WatchStreamDeps {
  /** Opens one connection (token, scope and transport are the caller's). */
  readonly open: (signal: AbortSignal) => Promise<{ readonly body: Readable; close(): void }>;
  /** The set may have changed: re-download (through the refresher). */
  readonly onUpdate: () => void;
  readonly onState: (state: WatchStreamState) => void;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Pick<Logger, 'log' | 'warn'>;
  /** The safety-net polling interval, for messages. */
  readonly pollInterval: number;
  readonly timing?: Partial<WatchTiming>;
  readonly limits?: SseLimits;
}

/**
 * One config's watch stream, kept open: connects, parses frames, and asks for a re-download on
 * `secrets.update` and after every (re)connect (an update may have been missed while down), each
 * spread over a short random window and coalesced while one is pending. No byte for `stallMs`
 * closes and reopens it; a failure or a drop reconnects with capped exponential backoff and
 * jitter (a 429's `retry-after` as a floor, capped). A 403 or 404 means the plan or the token
 * has no stream: it stops for good with one warning, and polling carries on. Logs at most one
 * warning per outage. After {@link stop} no timer, socket or callback is left.
 */
export class WatchStream {
  readonly #deps: WatchStreamDeps;
  readonly #timing: WatchTiming;
  #stopped = false;
  #failures = 0;
  #state: WatchStreamState = 'down';
  #connection: AbortController | undefined;
  #retry: Cancel | undefined;
  #stall: Cancel | undefined;
  #spread: Cancel | undefined;
  #warned = false;

  constructor(deps: WatchStreamDeps) {
    this.#deps = deps;
    this.#timing = { ...DEFAULT_WATCH_TIMING, ...deps.timing };
  }

  start(): void {
    if (this.#stopped || this.#connection || this.#retry) return;
    void this.connect();
  }

  /** Aborts the stream and drops every timer. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#retry?.();
    this.#stall?.();
    this.#spread?.();
    this.#connection?.abort();
    this.#retry = this.#stall = this.#spread = this.#connection = undefined;
  }

  private async connect(): Promise<void> {
    this.#retry = undefined;
    const controller = new AbortController();
    this.#connection = controller;
    let opened: { readonly body: Readable; close(): void };
    try {
      opened = await this.#deps.open(controller.signal);
    } catch (error: unknown) {
      if (this.#stopped || controller.signal.aborted) return;
      this.#connection = undefined;
      this.failed(error, undefined);
      return;
    }
    if (this.#stopped || controller.signal.aborted) {
      opened.close();
      return;
    }
    const openedAt = this.#deps.clock.now();
    const error = await this.read(opened, controller);
    opened.close();
    if (this.#stopped) return;
    this.#connection = undefined;
    this.#stall?.();
    this.#stall = undefined;
    if (this.#deps.clock.now() - openedAt >= this.#timing.healthyAfterMs) this.#failures = 0;
    this.failed(error, openedAt);
  }

  /** Reads frames until the stream ends, fails or stalls; resolves with why it ended. */
  private read(
    opened: { readonly body: Readable; close(): void },
    controller: AbortController,
  ): Promise<unknown> {
    const parser = new SseParser(this.#deps.limits);
    return new Promise<unknown>((resolve) => {
      let ended = false;
      const end = (why: unknown): void => {
        if (ended) return;
        ended = true;
        opened.body.off('data', onData);
        resolve(why);
      };
      const armStall = (): void => {
        this.#stall?.();
        this.#stall = this.#deps.clock.schedule(() => {
          end(stalled(this.#timing.stallMs));
          controller.abort();
        }, this.#timing.stallMs);
      };
      const onData = (chunk: Buffer): void => {
        if (ended || this.#stopped) return;
        armStall();
        let events;
        try {
          events = parser.push(chunk);
        } catch (error: unknown) {
          end(error);
          controller.abort();
          return;
        }
        for (const event of events) {
          if (event.type !== 'message') continue;
          const type = messageType(event.data);
          if (type === 'connected') this.connected();
          else if (type === 'secrets.update') this.update();
          else if (type === 'ping' && this.#state !== 'live') this.connected();
        }
      };
      armStall();
      opened.body.on('data', onData);
      opened.body.once('end', () => end(dropped()));
      // `on`, not `once`: a stream destroyed after a stall may report an error more than once.
      opened.body.on('error', () => end(dropped()));
      opened.body.once('close', () => end(dropped()));
      controller.signal.addEventListener('abort', () => end(dropped()), { once: true });
    });
  }

  private connected(): void {
    if (this.#state !== 'live' && this.#warned) {
      this.#deps.logger.log('The Doppler watch stream is connected again; changes arrive as they happen.');
    }
    this.#warned = false;
    this.setState('live');
    // Whatever changed while the stream was down (or before it first opened) is fetched now.
    this.update();
  }

  private update(): void {
    if (this.#stopped || this.#spread) return;
    const delay = this.#timing.spreadMs * this.#deps.random();
    this.#spread = this.#deps.clock.schedule(() => {
      this.#spread = undefined;
      if (!this.#stopped) this.#deps.onUpdate();
    }, delay);
  }

  private failed(error: unknown, openedAt: number | undefined): void {
    const known = error instanceof DopplerError ? error : undefined;
    if (known?.code === 'DOPPLER_FORBIDDEN' || known?.code === 'DOPPLER_NOT_FOUND') {
      this.setState('unavailable');
      this.#deps.logger.warn(
        `Doppler refused the watch stream (${known.status ?? known.code}): it needs a Team or Enterprise plan, and a token that can read the config. ` +
          `Changes are picked up by polling every ${formatDuration(this.#deps.pollInterval)} (refresh.interval) instead.`,
      );
      return;
    }
    this.setState('down');
    this.#failures++;
    const exponential = Math.min(
      this.#timing.maxBackoffMs,
      this.#timing.baseBackoffMs * 2 ** Math.min(this.#failures - 1, 30),
    );
    // Half fixed, half random: replicas that lost the stream together do not all return together.
    const backoff = exponential / 2 + (exponential / 2) * this.#deps.random();
    const retryAfter = Math.min(known?.retryAfterMs ?? 0, this.#timing.maxRetryAfterMs);
    const delay = clampDelay(Math.max(backoff, retryAfter));
    if (!this.#warned) {
      this.#warned = true;
      const what = openedAt === undefined ? 'could not be opened' : 'was lost';
      this.#deps.logger.warn(
        `The Doppler watch stream ${what}; reconnecting in ${formatDuration(delay)} with backoff, and polling every ` +
          `${formatDuration(this.#deps.pollInterval)} meanwhile. ${known?.message ?? 'The connection ended.'}`,
      );
    }
    this.#retry = this.#deps.clock.schedule(() => void this.connect(), delay);
  }

  private setState(state: WatchStreamState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#deps.onState(state);
  }
}

/** The `type` of a frame's JSON data, or undefined for anything else (ignored). */
function messageType(data: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    const type = (parsed as { type?: unknown } | null)?.type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

function stalled(stallMs: number): DopplerError {
  return dopplerError(
    'DOPPLER_TIMEOUT',
    `Nothing arrived on the watch stream for ${formatDuration(stallMs)} (not even a ping): it stalled, and is reopened.`,
    { retryable: true, reason: 'WATCH_STALLED' },
  );
}

function dropped(): DopplerError {
  return dopplerError('DOPPLER_UNREACHABLE', 'The watch stream was closed by the server or the network.', {
    retryable: true,
    reason: 'WATCH_DROPPED',
  });
}
