import type { Cancel, Clock, TimerPurpose } from '../../lib/core/clock.js';

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  readonly purpose: TimerPurpose;
  cancelled: boolean;
}

/** The next call a fake clock will run. */
export interface NextCall {
  readonly at: number;
  readonly purpose: TimerPurpose;
}

/**
 * Fake time for the library's `Clock`: nothing runs until the test advances it. `advance()` runs
 * every call that falls due, in time order, letting promises settle between them, so a chain of
 * awaits and timers plays out as it would in real time, only instantly.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #queue: Scheduled[] = [];
  #activity = 0;
  /** Every delay asked for, clamped as the system clock would, for assertions. */
  readonly delays: number[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(fn: () => void, ms: number, purpose: TimerPurpose = 'wait'): Cancel {
    const delay = Number.isNaN(ms) || ms <= 0 ? 0 : Math.min(ms, 2 ** 31 - 1);
    this.delays.push(delay);
    this.#activity++;
    const entry: Scheduled = { at: this.#now + delay, seq: this.#seq++, fn, purpose, cancelled: false };
    this.#queue.push(entry);
    return () => {
      if (!entry.cancelled) this.#activity++;
      entry.cancelled = true;
    };
  }

  /** Calls scheduled and not cancelled. */
  get pending(): number {
    return this.#queue.filter((e) => !e.cancelled).length;
  }

  /** The call that runs next, if any. */
  get next(): NextCall | undefined {
    const next = this.#nextUntil(Number.POSITIVE_INFINITY);
    return next && { at: next.at, purpose: next.purpose };
  }

  /** Deadlines scheduled and not yet run or cancelled: work they bound is still going on. */
  get armedDeadlines(): number {
    return this.#queue.filter((e) => !e.cancelled && e.purpose === 'deadline').length;
  }

  /** Counts schedules, cancels and runs: when it has not moved, the code under test has not touched time. */
  get activity(): number {
    return this.#activity;
  }

  /** Moves time forward by `ms`, running what falls due. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      await settle();
      const next = this.#nextUntil(until);
      if (!next) break;
      this.#run(next);
    }
    this.#now = until;
    await settle();
  }

  /** Moves time to the next call and runs it (and nothing else). */
  async runNext(): Promise<void> {
    const next = this.#nextUntil(Number.POSITIVE_INFINITY);
    if (next) this.#run(next);
    await settle();
  }

  #nextUntil(until: number): Scheduled | undefined {
    return this.#queue
      .filter((e) => !e.cancelled && e.at <= until)
      .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
  }

  #run(entry: Scheduled): void {
    this.#queue = this.#queue.filter((e) => e !== entry);
    this.#now = Math.max(this.#now, entry.at);
    this.#activity++;
    entry.fn();
  }
}

/** Lets pending promise chains run: several macrotask turns, so I/O-free awaits all settle. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
