import { settle, type FakeClock } from './fake-clock.js';

/** How long real work (a request to a local server, a file, a key derivation) may take to move. */
const REAL_WORK_LIMIT_MS = 20_000;

/**
 * Awaits `work` while playing out the fake time it waits on. A wait (a backoff, a head start)
 * runs as soon as it is the next call, since it only delays work. A deadline runs only when
 * `stuck()` says the real work it bounds will never finish by itself (a hung server, a hung
 * volume): firing it while a real answer is on its way would change the outcome. Otherwise the
 * real work goes on until it touches the clock again or `work` settles.
 *
 * @param stuck whether the real work in flight now is stuck (checked when a deadline is next)
 */
export async function onFakeTime<T>(
  clock: FakeClock,
  work: Promise<T>,
  stuck: () => boolean = () => false,
): Promise<T> {
  let settled = false;
  work.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (;;) {
    await settle();
    if (settled) return work;
    const next = clock.next;
    if (next && (next.purpose === 'wait' || stuck())) {
      await clock.runNext();
      continue;
    }
    await realProgress(clock, () => settled || (clock.next?.purpose === 'deadline' && stuck()));
  }
}

/**
 * Moves fake time forward by `ms` the same way: waits run as they fall due, real work that
 * starts (a refresh's request) is let finish before time moves on, and a deadline fires only on
 * stuck work. Ends at exactly `ms` later, with no work in flight but what is stuck.
 */
export async function advanceOnFakeTime(
  clock: FakeClock,
  ms: number,
  stuck: () => boolean = () => false,
): Promise<void> {
  const until = clock.now() + ms;
  for (;;) {
    await settle();
    const next = clock.next;
    if (next && next.at <= until && (next.purpose === 'wait' || stuck())) {
      await clock.runNext();
      continue;
    }
    // A deadline is armed only while the work it bounds runs: let that work finish first.
    if (clock.armedDeadlines > 0 && !stuck()) {
      await realProgress(clock, stuck);
      continue;
    }
    break;
  }
  await clock.advance(until - clock.now());
}

/** Waits, on real time, until the code under test touches the clock or `done()` holds. */
async function realProgress(clock: FakeClock, done: () => boolean): Promise<void> {
  const seen = clock.activity;
  const giveUpAt = Date.now() + REAL_WORK_LIMIT_MS;
  while (clock.activity === seen && !done()) {
    if (Date.now() > giveUpAt) {
      const next = clock.next;
      throw new Error(
        `nothing moved for ${REAL_WORK_LIMIT_MS} ms of real time: the work waits on real I/O that does not end, ` +
          `and the next fake call is ${next ? `a ${next.purpose} at +${next.at - clock.now()} ms` : 'none'} ` +
          '(pass stuck() if that I/O is meant to hang)',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
