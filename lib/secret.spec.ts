import assert from 'node:assert';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { inspect, format } from 'node:util';
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Secret, SECRET_MASK } from './secret.js';

const CANARY = 'canary-secret-value-7f3a9c';

function every(secret: Secret<unknown>): string[] {
  return [
    String(secret),
    `${secret}`,
    '' + (secret as unknown as string),
    secret.toString(),
    JSON.stringify(secret),
    JSON.stringify({ nested: { secret } }),
    inspect(secret),
    inspect(secret, { showHidden: true, depth: Infinity }),
    inspect(secret, { customInspect: false, showHidden: true }),
    inspect({ a: [secret] }, { depth: Infinity }),
    format('%s %o %O %j', secret, secret, secret, secret),
    JSON.stringify({ ...secret }),
    JSON.stringify(Object.entries(secret)),
    JSON.stringify(Object.getOwnPropertyNames(secret)),
    inspect(structuredClone(secret), { showHidden: true }),
    serialize(secret).toString('latin1'),
  ];
}

describe('Secret', () => {
  it('reveals its value only through reveal()', () => {
    expect(new Secret(CANARY).reveal()).toBe(CANARY);
    expect(new Secret(8080).reveal()).toBe(8080);
  });

  it('never renders the value through any printing path', () => {
    const secret = new Secret(CANARY);
    for (const rendered of every(secret)) {
      expect(rendered).not.toContain(CANARY);
    }
    expect(String(secret)).toBe(SECRET_MASK);
    expect(`${secret}`).toBe(SECRET_MASK);
    expect(JSON.stringify({ secret })).toBe(`{"secret":"${SECRET_MASK}"}`);
    expect(inspect(secret)).toBe(`Secret(${SECRET_MASK})`);
  });

  it('masks non-string values too', () => {
    const secret = new Secret(424242);
    expect(+(secret as unknown as number)).toBeNaN();
    for (const rendered of every(secret)) expect(rendered).not.toContain('424242');
  });

  it('does not leak through console.log', () => {
    const written: string[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    });
    new Console({ stdout, stderr: stdout }).log(new Secret(CANARY), { secret: new Secret(CANARY) });
    expect(written.join('')).toContain(SECRET_MASK);
    expect(written.join('')).not.toContain(CANARY);
  });

  it('does not leak through assertion diffs', () => {
    let message = '';
    try {
      assert.deepStrictEqual({ a: new Secret(CANARY) }, { a: 1 });
    } catch (error) {
      message = inspect(error);
    }
    expect(message).not.toBe('');
    expect(message).not.toContain(CANARY);
  });

  it('is frozen, and its value cannot be read or replaced from outside', () => {
    const secret = new Secret(CANARY);
    expect(Object.isFrozen(secret)).toBe(true);
    expect(Object.keys(secret)).toEqual([]);
    expect(() => {
      (secret as unknown as Record<string, unknown>)['value'] = 'x';
    }).toThrow(TypeError);
  });

  it('compares by value with equals(), where deep equality cannot see', () => {
    const a = new Secret('same');
    expect(a.equals(new Secret('same'))).toBe(true);
    expect(a.equals('same')).toBe(true);
    expect(a.equals(new Secret('other'))).toBe(false);
    expect(a.equals(new Secret('sam'))).toBe(false);
    expect(a.equals('')).toBe(false);
    expect(new Secret('é').equals('é')).toBe(true);
    expect(new Secret(3).equals(3)).toBe(true);
    expect(new Secret(3).equals(4)).toBe(false);
  });
});
