import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { DeadlineReached, deadlinePassed, deadlineSignal, lazyDeadline, startDeadline } from './clock.js';

describe('deadlineSignal', () => {
  it('leaves no listener on its parent once its deadline has passed, however many it made', async () => {
    const clock = new FakeClock();
    const parent = new AbortController().signal;
    const signals = Array.from({ length: 50 }, () => deadlineSignal(clock, 1_000, parent));
    expect(getEventListeners(parent, 'abort')).toHaveLength(50);
    await clock.advance(1_000);
    expect(signals.every((s) => s.aborted && s.reason instanceof DeadlineReached)).toBe(true);
    expect(getEventListeners(parent, 'abort')).toHaveLength(0);
  });

  it('follows its parent, with the parent reason, and drops its timer', async () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    const signal = deadlineSignal(clock, 1_000, parent.signal);
    parent.abort(new Error('stopped'));
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe('stopped');
    expect(clock.pending).toBe(0);
    await clock.advance(1_000);
    expect((signal.reason as Error).message).toBe('stopped');
  });

  it('is aborted at once, without a timer, under a parent already aborted', () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    parent.abort(new Error('gone'));
    const signal = deadlineSignal(clock, 1_000, parent.signal);
    expect(signal.aborted).toBe(true);
    expect(clock.pending).toBe(0);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });
});

describe('startDeadline', () => {
  it('aborts with DeadlineReached when its time runs out, and leaves no timer', async () => {
    const clock = new FakeClock();
    const { signal } = startDeadline(clock, 100);
    await clock.advance(99);
    expect(signal.aborted).toBe(false);
    await clock.advance(1);
    expect(deadlinePassed(signal)).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it("aborts with its parent's reason (a shutdown, not a deadline), and drops its timer", () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    const { signal } = startDeadline(clock, 100, parent.signal);
    parent.abort(new Error('closing'));
    expect(signal.aborted).toBe(true);
    expect(deadlinePassed(signal)).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('release() drops the timer and its listener on the parent: a long-lived parent collects none', () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    // One deadline per refresh cycle on the refresher's shutdown signal.
    for (let cycle = 0; cycle < 50; cycle++) startDeadline(clock, 100, parent.signal).release();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    expect(clock.pending).toBe(0);
    const live = startDeadline(clock, 100, parent.signal);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    parent.abort();
    expect(live.signal.aborted).toBe(true);
  });

  it('a deadline that fired no longer listens to its parent', async () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    startDeadline(clock, 10, parent.signal);
    await clock.advance(10);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });
});

describe('lazyDeadline', () => {
  it('schedules nothing until its signal is read, then a deadline for the time left', async () => {
    const clock = new FakeClock();
    const deadline = lazyDeadline(clock, 1_000);
    expect(clock.pending).toBe(0);
    await clock.advance(400);
    const signal = deadline.signal;
    expect(deadline.signal).toBe(signal);
    expect(clock.armedDeadlines).toBe(1);
    expect(clock.delays).toEqual([600]);
    await clock.advance(599);
    expect(signal.aborted).toBe(false);
    await clock.advance(1);
    expect(deadlinePassed(signal)).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('read after its time has run out, its signal is aborted already, with no timer', async () => {
    const clock = new FakeClock();
    const deadline = lazyDeadline(clock, 1_000);
    await clock.advance(1_000);
    expect(deadlinePassed(deadline.signal)).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('release() drops the timer of a signal read; a signal read after release() never aborts', async () => {
    const clock = new FakeClock();
    const read = lazyDeadline(clock, 1_000);
    const signal = read.signal;
    read.release();
    expect(clock.pending).toBe(0);
    const unread = lazyDeadline(clock, 1_000);
    unread.release();
    await clock.advance(5_000);
    expect(signal.aborted).toBe(false);
    expect(unread.signal.aborted).toBe(false);
    expect(clock.pending).toBe(0);
  });
});
