import fc from 'fast-check';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { unescapedView } from './escaped-view.js';
import { joinedPiecesView } from './joined-pieces.js';

const tricky = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      "'",
      '"',
      '`',
      '\\',
      '\n',
      '\r',
      '\t',
      '\b',
      '\f',
      '\v',
      '\u2028',
      '\u2029',
      '\0',
      '\x1b',
    ),
    fc.constantFrom('\x7f', '\x9f', '\ud800', '\udfff', '😀', '/', 'u', 'x'),
    fc.string({ unit: 'binary', maxLength: 3 }),
  ),
  maxLength: 40,
});

describe('unescapedView', () => {
  it('reads a JSON string body and an inspected string as the original text', () => {
    fc.assert(
      fc.property(tricky, (value) => {
        const json = JSON.stringify(value);
        expect(unescapedView(json)?.text ?? json).toBe(`"${value}"`);
        const inspected = inspect(value, { breakLength: Infinity, maxStringLength: Infinity });
        const view = unescapedView(inspected)?.text ?? inspected;
        expect(view.slice(1, -1)).toBe(value);
        // Twice encoded, twice decoded.
        const twice = JSON.stringify(json);
        const once = unescapedView(twice);
        const both = once && unescapedView(once.text, once.starts);
        expect(both?.text ?? once?.text ?? twice).toBe(`""${value}""`);
      }),
      { numRuns: 500 },
    );
  });

  it('maps each decoded code unit to where its escape begins', () => {
    const view = unescapedView('a\\nb\\u0041\\\\c');
    expect(view?.text).toBe('a\nbA\\c');
    expect([...(view?.starts ?? [])]).toEqual([0, 1, 3, 4, 10, 12]);
    expect(unescapedView('no backslash')).toBeUndefined();
    expect(unescapedView('C:\\Users\\qq')).toBeUndefined(); // nothing decodable
    expect(unescapedView('\\u12')?.text).toBeUndefined();
  });
});

describe('joinedPiecesView', () => {
  it('reads the pieces inspect breaks a multi-line string into as one string', () => {
    const value = `one it's\n"two"\n${'three '.repeat(20)}\nfour`;
    for (const options of [{}, { colors: true }]) {
      const inspected = inspect({ deep: { value } }, options);
      expect(inspected).toContain(' +\n');
      const decoded = unescapedView(inspected);
      const joined = decoded && joinedPiecesView(decoded);
      expect(joined?.text).toContain(value);
      // Where each code unit came from, in the inspected text.
      const at = joined?.text.indexOf('four') ?? -1;
      expect(inspected.slice(joined?.starts[at], (joined?.starts[at] ?? 0) + 4)).toBe('four');
    }
    const flat = unescapedView(inspect({ value: 'a\nb' }));
    expect(flat && joinedPiecesView(flat)).toBeUndefined();
  });
});
