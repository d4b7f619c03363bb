import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FORMAT_CONTENT_TYPES,
  isSecretsFormat,
  renderSecrets,
  SECRETS_FORMATS,
  type EmulatorSecretsFormat,
} from './emulator-secrets-format.js';

const SAMPLE: ReadonlyArray<readonly [string, string]> = [
  ['PORT', '3000'],
  ['SMTP__USER_NAME', 'mailer'],
  ['EMPTY', ''],
  ['QUOTED', 'say "hi" \\o/'],
  ['MULTI', 'line1\nline2'],
];

// The exact text of each format for SAMPLE; sorted by name, lines joined by \n, no trailing newline.
const EXPECTED: Readonly<Record<EmulatorSecretsFormat, string>> = {
  json: '{"EMPTY":"","MULTI":"line1\\nline2","PORT":"3000","QUOTED":"say \\"hi\\" \\\\o/","SMTP__USER_NAME":"mailer"}',
  'dotnet-json':
    '{"Empty":"","Multi":"line1\\nline2","Port":"3000","Quoted":"say \\"hi\\" \\\\o/","Smtp:UserName":"mailer"}',
  env: 'EMPTY=""\nMULTI="line1\nline2"\nPORT="3000"\nQUOTED="say \\"hi\\" \\\\o/"\nSMTP__USER_NAME="mailer"',
  'env-no-quotes': 'EMPTY=\nMULTI=line1\nline2\nPORT=3000\nQUOTED=say "hi" \\o/\nSMTP__USER_NAME=mailer',
  docker: 'EMPTY=\nMULTI=line1\nline2\nPORT=3000\nQUOTED=say "hi" \\o/\nSMTP__USER_NAME=mailer',
  yaml: '"EMPTY": ""\n"MULTI": "line1\\nline2"\n"PORT": "3000"\n"QUOTED": "say \\"hi\\" \\\\o/"\n"SMTP__USER_NAME": "mailer"',
};

describe('download formats', () => {
  it("lists the six formats of Doppler's OpenAPI document, and only those", () => {
    expect([...SECRETS_FORMATS].sort()).toEqual([
      'docker',
      'dotnet-json',
      'env',
      'env-no-quotes',
      'json',
      'yaml',
    ]);
    expect(isSecretsFormat('yaml')).toBe(true);
    expect(isSecretsFormat('YAML')).toBe(false);
    expect(isSecretsFormat('toml')).toBe(false);
  });

  it.each(SECRETS_FORMATS)('renders %s exactly', (format) => {
    expect(renderSecrets(SAMPLE, format)).toBe(EXPECTED[format]);
  });

  it.each([
    ['json', 'application/json; charset=utf-8'],
    ['dotnet-json', 'application/json; charset=utf-8'],
    ['env', 'text/plain; charset=utf-8'],
    ['env-no-quotes', 'text/plain; charset=utf-8'],
    ['docker', 'text/plain; charset=utf-8'],
    ['yaml', 'application/yaml'],
  ] as const)('serves %s as %s', (format, contentType) => {
    expect(FORMAT_CONTENT_TYPES[format]).toBe(contentType);
  });

  it.each([
    ['json', '{}'],
    ['dotnet-json', '{}'],
    ['env', ''],
    ['env-no-quotes', ''],
    ['docker', ''],
    ['yaml', '{}'],
  ] as const)('renders no secrets as %s %j', (format, text) => {
    expect(renderSecrets([], format)).toBe(text);
  });

  it('keeps integer-like names in name order and lets the later of two equal names win', () => {
    expect(
      renderSecrets(
        [
          ['10', 'b'],
          ['2', 'a'],
          ['A', 'x'],
          ['A', 'y'],
        ],
        'json',
      ),
    ).toBe('{"10":"b","2":"a","A":"y"}');
    // Both become "Test" for .NET; the one whose own name sorts last is kept, whatever the input order.
    expect(
      renderSecrets(
        [
          ['TEST_', 'second'],
          ['TEST', 'first'],
        ],
        'dotnet-json',
      ),
    ).toBe('{"Test":"second"}');
    expect(
      renderSecrets(
        [
          ['TEST', 'first'],
          ['TEST_', 'second'],
        ],
        'dotnet-json',
      ),
    ).toBe('{"Test":"second"}');
    expect(renderSecrets([['A__B', 'x']], 'dotnet-json')).toBe('{"A:B":"x"}');
  });

  it('escapes what YAML cannot hold raw, and keeps YAML keywords and numbers as strings', () => {
    expect(
      renderSecrets(
        [
          ['TRUE', '0123'],
          ['NULL', '\u0085\u007f\ufeff'],
        ],
        'yaml',
      ),
    ).toBe('"NULL": "\\u0085\\u007f\\ufeff"\n"TRUE": "0123"');
  });
});

const name = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,11}$/);
const value = fc.string({ unit: 'grapheme', maxLength: 30 });
const entries = fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, maxLength: 8 });

// Reads back what the env format wrote: KEY="..." with \\ and \" escaped, newlines raw.
function parseEnv(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const match of text.matchAll(/^([A-Z][A-Z0-9_]*)="((?:[^"\\]|\\.)*)"$/gms)) {
    result[match[1] ?? ''] = (match[2] ?? '').replace(/\\(.)/gs, '$1');
  }
  return result;
}

// Every line of the YAML format is `"name": "value"` with JSON-compatible escapes.
function parseYaml(text: string): Record<string, string> {
  if (text === '{}') return {};
  return Object.fromEntries(
    text.split('\n').map((line) => {
      const [, key = '', val = ''] = /^("(?:[^"\\]|\\.)*"): (".*")$/.exec(line) ?? [];
      return [JSON.parse(key) as string, JSON.parse(val) as string];
    }),
  );
}

describe('download format properties', () => {
  it('json, env and yaml give back exactly the secrets they were given', () => {
    fc.assert(
      fc.property(entries, (pairs) => {
        const expected = Object.fromEntries(pairs);
        expect(JSON.parse(renderSecrets(pairs, 'json'))).toEqual(expected);
        expect(parseEnv(renderSecrets(pairs, 'env'))).toEqual(expected);
        expect(parseYaml(renderSecrets(pairs, 'yaml'))).toEqual(expected);
      }),
    );
  });

  it('env-no-quotes and docker give back single-line values as they are', () => {
    const singleLine = fc.uniqueArray(
      fc.tuple(
        name,
        value.filter((v) => !/[\r\n]/.test(v)),
      ),
      {
        selector: ([n]) => n,
        maxLength: 8,
      },
    );
    fc.assert(
      fc.property(singleLine, fc.constantFrom('env-no-quotes', 'docker'), (pairs, format) => {
        const text = renderSecrets(pairs, format);
        const lines = text === '' ? [] : text.split('\n');
        expect(
          Object.fromEntries(
            lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
          ),
        ).toEqual(Object.fromEntries(pairs));
      }),
    );
  });

  it.each(SECRETS_FORMATS)('%s does not depend on the order secrets come in', (format) => {
    fc.assert(
      fc.property(entries, (pairs) => {
        expect(renderSecrets([...pairs].reverse(), format)).toBe(renderSecrets(pairs, format));
      }),
    );
  });
});
