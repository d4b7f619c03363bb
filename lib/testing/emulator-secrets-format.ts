import { transformSecretName } from './emulator-name-transformers.js';

/**
 * Every download `format` Doppler's OpenAPI document lists. Doppler renders them server side; the
 * text of each follows the renderer the DopplerHQ/cli used for the same formats when it mounted
 * secrets itself (sorted `NAME=value` lines joined by `\n`, no trailing newline), which its e2e
 * tests compared with the API's answers.
 */
export const SECRETS_FORMATS = ['json', 'dotnet-json', 'env', 'yaml', 'docker', 'env-no-quotes'] as const;

/** One of {@link SECRETS_FORMATS}. */
export type EmulatorSecretsFormat = (typeof SECRETS_FORMATS)[number];

/** Narrows a query parameter value. */
export function isSecretsFormat(value: string): value is EmulatorSecretsFormat {
  return (SECRETS_FORMATS as readonly string[]).includes(value);
}

/**
 * Content type of each format: JSON for the JSON ones, the YAML media type of RFC 9512, and plain
 * text for the dotenv-style ones (which have no registered type).
 */
export const FORMAT_CONTENT_TYPES: Readonly<Record<EmulatorSecretsFormat, string>> = {
  json: 'application/json; charset=utf-8',
  'dotnet-json': 'application/json; charset=utf-8',
  env: 'text/plain; charset=utf-8',
  yaml: 'application/yaml',
  docker: 'text/plain; charset=utf-8',
  'env-no-quotes': 'text/plain; charset=utf-8',
};

/** Name/value pairs, in any order; renamed names may collide (`A_B` and `A__B` in camel case). */
export type SecretEntries = ReadonlyArray<readonly [string, string]>;

/**
 * Serialises name/value pairs sorted by name (JS objects would move integer-like names first).
 * When two names are equal the later pair wins, as a later key does in a JSON object.
 *
 * - `json`: one compact object, `{"A":"1"}`.
 * - `dotnet-json`: the same with .NET configuration keys (`SMTP__USER` -> `Smtp:User`).
 * - `env`: `A="1"` lines; `\` and `"` escaped, newlines kept inside the quotes.
 * - `env-no-quotes`, `docker`: `A=1` lines, values as they are (`docker run --env-file` reads
 *   everything after `=` literally).
 * - `yaml`: one `"A": "1"` mapping line per secret, names and values as double-quoted YAML
 *   strings so `TRUE`, `0123` or a multi-line value stay strings; `{}` when empty.
 *
 * @example
 * renderSecrets([['A', '1']], 'env'); // 'A="1"'
 */
export function renderSecrets(entries: SecretEntries, format: EmulatorSecretsFormat): string {
  switch (format) {
    case 'json':
      return renderJson(sortedUnique(entries));
    case 'dotnet-json':
      // Renamed in name order, so of two names that become one key the same one wins every time.
      return renderJson(
        sortedUnique(
          sortedUnique(entries).map(([name, value]) => [transformSecretName(name, 'dotnet'), value]),
        ),
      );
    case 'env':
      return sortedUnique(entries)
        .map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
        .join('\n');
    case 'docker':
    case 'env-no-quotes':
      return sortedUnique(entries)
        .map(([name, value]) => `${name}=${value}`)
        .join('\n');
    case 'yaml': {
      const lines = sortedUnique(entries).map(([name, value]) => `${yamlString(name)}: ${yamlString(value)}`);
      return lines.length === 0 ? '{}' : lines.join('\n');
    }
  }
}

/** Sorted by name (code unit order, as Doppler's own sorted output), the later of equal names kept. */
export function sortedUnique(entries: SecretEntries): Array<readonly [string, string]> {
  return [...new Map(entries)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function renderJson(entries: SecretEntries): string {
  return `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`;
}

// JSON's escapes are a subset of YAML's double-quoted ones. JSON leaves DEL, the C1 controls, the
// byte order mark and U+2028/U+2029 raw; YAML wants them escaped (YAML 1.1 readers take NEL and the
// separators for line breaks).
function yamlString(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
