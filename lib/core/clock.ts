/**
 * Node clamps a timer longer than this to 1 ms, so an unclamped "wait a month" (a 429 with a
 * huge `retry-after`) becomes a tight loop.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Cancels a scheduled call; calling it twice, or after the call ran, does nothing. */
export type Cancel = () => void;

/**
 * Time, as the library sees it. Everything that waits goes through one of these, so tests run
 * retries, refresh and health on fake time instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Calls `fn` once after `ms` (clamped to 0..{@link MAX_TIMER_DELAY_MS}). A scheduled call never
   * keeps the process alive on its own.
   */
  schedule(fn: () => void, ms: number): Cancel;
}

/** A delay Node's timers honour: finite, 0 or more, at most {@link MAX_TIMER_DELAY_MS}. */
export function clampDelay(ms: number): number {
  if (Number.isNaN(ms) || ms <= 0) return 0;
  return Math.min(ms, MAX_TIMER_DELAY_MS);
}

/** The real clock: `Date.now` and unref'd timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(fn, ms) {
    const timer = setTimeout(fn, clampDelay(ms));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const cancel = clock.schedule(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * A signal that aborts after `ms` on `clock`, with `reason` (or when `parent` aborts). The
 * timer is dropped once the signal has fired.
 */
export function deadlineSignal(clock: Clock, ms: number, parent?: AbortSignal): AbortSignal {
  return deadlineTimer(clock, ms, parent).signal;
}

/**
 * {@link deadlineSignal}, with `release` to drop its timer once the work it bounds is over (the
 * signal then never aborts for its deadline), so no timer outlives the work.
 */
export function deadlineTimer(
  clock: Clock,
  ms: number,
  parent?: AbortSignal,
): { readonly signal: AbortSignal; readonly release: Cancel } {
  const controller = new AbortController();
  const cancel = clock.schedule(() => controller.abort(new DeadlineReached()), ms);
  const follow = (): void => controller.abort(parent?.reason);
  // Once this signal has fired, its listener on a long-lived parent (the refresher's, one per
  // cycle) goes too, or every cycle would leave one behind.
  controller.signal.addEventListener(
    'abort',
    () => {
      cancel();
      parent?.removeEventListener('abort', follow);
    },
    { once: true },
  );
  if (parent) {
    if (parent.aborted) controller.abort(parent.reason);
    else parent.addEventListener('abort', follow, { once: true });
  }
  const release = (): void => {
    cancel();
    parent?.removeEventListener('abort', follow);
  };
  return { signal: controller.signal, release };
}

/** The reason a {@link deadlineSignal} carries when its time ran out (not a shutdown). */
export class DeadlineReached extends Error {
  constructor() {
    super('deadline reached');
    this.name = 'DeadlineReached';
  }
}

/** True when `signal` aborted because its deadline passed, rather than for a shutdown. */
export function deadlinePassed(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof DeadlineReached;
}
