import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import type { SecretsChange } from '../interfaces/secrets-status.interface.js';
import { serviceFor } from '../secrets.service.js';
import { SecretsState, type ValidatedSet } from './secrets-state.js';

function setOf(values: Record<string, string>): ValidatedSet {
  return {
    values,
    metadata: { source: 'doppler-api', fetchedAt: new Date(0) },
    raw: values,
    rawForms: [],
  };
}

describe('SecretsState', () => {
  it('delivers the changes applied once a subscriber came, and none from before (the stream is made on the first subscriber)', () => {
    const state = new SecretsState(setOf({ A: 'one-value' }), new FakeClock());
    expect(state.apply(setOf({ A: 'two-value' }))?.version).toBe(2);
    const seen: SecretsChange[] = [];
    state.changes.subscribe((change) => seen.push(change));
    state.apply(setOf({ A: 'three-value', B: 'new-value' }));
    expect(seen.map(({ version, changed, added }) => ({ version, changed, added }))).toEqual([
      { version: 3, changed: ['A'], added: ['B'] },
    ]);
  });

  it('completes a stream asked for after close() finished, and one asked for before', async () => {
    const state = new SecretsState(setOf({ A: 'one-value' }), new FakeClock());
    let earlyDone = false;
    state.changes.subscribe({ complete: () => (earlyDone = true) });
    await state.close();
    expect(earlyDone).toBe(true);
    let lateDone = false;
    state.changes.subscribe({ complete: () => (lateDone = true) });
    expect(lateDone).toBe(true);

    const quiet = new SecretsState(setOf({ A: 'one-value' }), new FakeClock());
    await quiet.close();
    let neverSubscribedDone = false;
    quiet.changes.subscribe({ complete: () => (neverSubscribedDone = true) });
    expect(neverSubscribedDone).toBe(true);
  });

  it("has its service read the new version from the moment it is current: a change subscriber's get() sees it", () => {
    const state = new SecretsState<Record<string, string>>(setOf({ A: 'one-value' }), new FakeClock());
    const service = serviceFor(state);
    const readInHandler: string[] = [];
    service.changes.subscribe(() => readInHandler.push(service.get('A').reveal()));
    state.apply(setOf({ A: 'two-value', B: 'new-value' }));
    expect(readInHandler).toEqual(['two-value']);
    expect(service.get('B').reveal()).toBe('new-value');
    expect(service.snapshot().version).toBe(2);
    state.apply(setOf({ A: 'two-value' }));
    // A key the new version dropped is no longer served, with the snapshot's error.
    expect(() => service.get('B')).toThrow(expect.objectContaining({ code: 'DOPPLER_SECRET_NOT_DECLARED' }));
    expect(service.keys()).toEqual(['A']);
  });
});
