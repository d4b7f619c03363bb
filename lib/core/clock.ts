/**
 * Node clamps a timer longer than this to 1 ms, so an unclamped "wait a month" (a 429 with a
 * huge `retry-after`) becomes a tight loop.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Cancels a scheduled call; calling it twice, or after the call ran, does nothing. */
export type Cancel = () => void;

/**
 * What a scheduled call is for. A `wait` only delays work (a backoff, a poll interval); a
 * `deadline` cuts work short. Real time treats them alike; a test's fake clock may run waits at
 * once but a deadline only when the work it bounds is stuck, since firing it early changes the
 * outcome.
 */
export type TimerPurpose = 'wait' | 'deadline';

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
  schedule(fn: () => void, ms: number, purpose?: TimerPurpose): Cancel;
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

/**
 * Keeps the process from exiting until the returned call (idempotent), whatever clock the work
 * runs on: for work someone awaits whose own timers never hold the process open.
 */
export function holdProcessOpen(): Cancel {
  const hold = setInterval(() => undefined, MAX_TIMER_DELAY_MS);
  return () => clearInterval(hold);
}

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
 * What bounds a piece of work: its signal, read only where the work needs it (so a deadline that
 * nothing reads can cost no timer, see {@link lazyDeadline}).
 */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/** A deadline's signal, and a way to drop its timer once the work it bounds is over. */
export interface Deadline extends SignalSource {
  /** Drops the timer and the link to the parent, without aborting: the work it bounded is over. */
  readonly release: Cancel;
}

/**
 * A signal that aborts after `ms` on `clock` with a {@link DeadlineReached} reason (or when
 * `parent` aborts, with its reason). The timer is dropped once the signal has fired, or on
 * `release()`.
 */
export function startDeadline(clock: Clock, ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  if (parent === undefined) {
    // Only the timer aborts it, and a timer that fired is gone: nothing else to drop.
    const cancel = clock.schedule(() => controller.abort(new DeadlineReached()), ms, 'deadline');
    return { signal: controller.signal, release: cancel };
  }
  const onParentAbort = () => {
    release();
    controller.abort(parent.reason);
  };
  const cancelTimer = clock.schedule(
    () => {
      release();
      controller.abort(new DeadlineReached());
    },
    ms,
    'deadline',
  );
  // The listener goes with the deadline: a long-lived parent (the refresher's shutdown signal,
  // one deadline per cycle) must not collect one per cycle.
  function release(): void {
    cancelTimer();
    parent?.removeEventListener('abort', onParentAbort);
  }
  // A parent already aborted aborts this one at once, timer dropped.
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  return { signal: controller.signal, release };
}

/**
 * {@link startDeadline} without a parent, its signal and timer made when the signal is first read:
 * work that never reads it (a fixed token, a set downloaded under its own request deadlines and
 * validated synchronously) costs neither. The signal aborts at the same time as an eager one, `ms`
 * after this call: read past that time, it is aborted already; read after `release()`, it never aborts.
 */
export function lazyDeadline(clock: Clock, ms: number): Deadline {
  const endsAt = clock.now() + ms;
  let made: Deadline | undefined;
  let released = false;
  return {
    get signal(): AbortSignal {
      if (made !== undefined) return made.signal;
      const remaining = endsAt - clock.now();
      if (released) made = { signal: new AbortController().signal, release: () => undefined };
      else if (remaining > 0) made = startDeadline(clock, remaining);
      else made = { signal: AbortSignal.abort(new DeadlineReached()), release: () => undefined };
      return made.signal;
    },
    release(): void {
      released = true;
      made?.release();
    },
  };
}

/** {@link startDeadline}'s signal, for a deadline that lasts as long as the work it bounds. */
export function deadlineSignal(clock: Clock, ms: number, parent?: AbortSignal): AbortSignal {
  return startDeadline(clock, ms, parent).signal;
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
