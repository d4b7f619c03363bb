import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { DeadlineReached, deadlineSignal } from './clock.js';

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
