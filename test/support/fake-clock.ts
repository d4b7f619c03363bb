import type { Cancel, Clock } from '../../lib/core/clock.js';

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
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
  /** Every delay asked for, clamped as the system clock would, for assertions. */
  readonly delays: number[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(fn: () => void, ms: number): Cancel {
    const delay = Number.isNaN(ms) || ms <= 0 ? 0 : Math.min(ms, 2 ** 31 - 1);
    this.delays.push(delay);
    const entry: Scheduled = { at: this.#now + delay, seq: this.#seq++, fn, cancelled: false };
    this.#queue.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  /** Calls scheduled and not cancelled. */
  get pending(): number {
    return this.#queue.filter((e) => !e.cancelled).length;
  }

  /** Moves time forward by `ms`, running what falls due. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      await settle();
      const next = this.#queue
        .filter((e) => !e.cancelled && e.at <= until)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#queue = this.#queue.filter((e) => e !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = until;
    await settle();
  }
}

/** Lets pending promise chains run: several macrotask turns, so I/O-free awaits all settle. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
