import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { EnvironmentSource } from './environment.source.js';

describe('EnvironmentSource', () => {
  it('offers every string variable of the environment it was given, as of its clock', async () => {
    const clock = new FakeClock();
    const env = { API_KEY: 'from-doppler-run', EMPTY: '', UNSET: undefined, DOPPLER_CONFIG: 'dev' };
    const outcome = await new EnvironmentSource(env, clock).load();
    expect(outcome).toEqual({
      kind: 'set',
      set: {
        raw: { API_KEY: 'from-doppler-run', EMPTY: '', DOPPLER_CONFIG: 'dev' },
        origin: 'environment',
        fetchedAt: new Date(clock.now()),
      },
    });
  });

  it('takes a snapshot: later changes to the environment are not in a set already loaded', async () => {
    const env: NodeJS.ProcessEnv = { API_KEY: 'first' };
    const outcome = await new EnvironmentSource(env).load();
    env['API_KEY'] = 'second';
    expect(outcome.kind === 'set' && outcome.set.raw['API_KEY']).toBe('first');
  });

  it("holds names such as __proto__ as plain entries, not as the object's prototype", async () => {
    const env = JSON.parse('{"__proto__": "value", "constructor": "x"}') as NodeJS.ProcessEnv;
    const outcome = await new EnvironmentSource(env).load();
    if (outcome.kind !== 'set') throw new Error('expected a set');
    expect(Object.keys(outcome.set.raw).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(outcome.set.raw)).toBeNull();
  });

  it('is not refreshable and names itself for log lines', () => {
    const source = new EnvironmentSource({});
    expect(source.refreshable).toBe(false);
    expect(source.description).toBe('the environment');
  });
});
