import { SECRET_NAME_SHAPE } from './secret-name.js';

/** The parsed entries, or the first line that cannot be read unambiguously and why (no value in it). */
export type DotenvParse =
  | { readonly ok: true; readonly secrets: Record<string, string> }
  | { readonly ok: false; readonly line: number; readonly problem: string; readonly name?: string };

/** Characters that end a name: `=`, or what makes the line malformed. */
const NAME_END = new Set(['=', ' ', '\t', '\r', '\n']);

/** The escapes a double-quoted value may hold: what Doppler's and the Doppler CLI's env output write. */
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', n: '\n', r: '\r' };

/**
 * Parses the env format Doppler renders (`NAME="value"` lines) and the plain `NAME=value` lines
 * of `env-no-quotes` and docker env files, as a strict subset of dotenv: every line it accepts
 * means the same to dotenv, to Docker and to a shell, and anything that would not is refused.
 *
 * - A line is `NAME=VALUE`, optionally after spaces and `export `; no space around `=`.
 *   Blank lines and lines starting with `#` are skipped. Lines end with LF or CRLF.
 * - `NAME` is a secret name (a letter or `_`, then letters, digits, `_`, `.`, `-`); a name
 *   given twice is refused.
 * - `"VALUE"`: the escapes `\\`, `\"`, `\n` and `\r`, and nothing else; a line break inside
 *   the quotes is part of the value (a multi-line value, as the Doppler CLI writes it).
 * - `'VALUE'`: literal, no escapes, may span lines; it cannot hold `'`.
 * - A quoted value may be followed by spaces and a `#` comment, nothing else.
 * - An unquoted value is the rest of the line, literally. It must not start or end with a space
 *   or tab (dotenv trims them, Docker keeps them), hold a space or tab followed by `#` (dotenv
 *   reads a comment there, Docker part of the value), or hold a carriage return.
 * - `$` is never expanded: Doppler resolves references before rendering.
 * - Backtick quotes (dotenv only) are refused.
 */
export function parseDotenv(text: string): DotenvParse {
  const secrets = Object.create(null) as Record<string, string>;
  let i = 0;
  let line = 1;
  const refuse = (problem: string, at = line, name?: string): DotenvParse => ({
    ok: false,
    line: at,
    problem,
    ...(name !== undefined && { name }),
  });
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\n' ? 1 : 2;
      line++;
      continue;
    }
    if (text[i] === '#') {
      i = endOfLine(text, i);
      continue;
    }
    if (text.startsWith('export', i) && (text[i + 6] === ' ' || text[i + 6] === '\t')) {
      i += 6;
      while (text[i] === ' ' || text[i] === '\t') i++;
    }
    const nameStart = i;
    while (i < text.length && !NAME_END.has(text.charAt(i))) i++;
    const name = text.slice(nameStart, i);
    if (text[i] !== '=') {
      let next = i;
      while (text[next] === ' ' || text[next] === '\t') next++;
      return refuse(
        next > i && text[next] === '='
          ? 'a space before "=" (write NAME=value)'
          : 'a line that is not NAME=value (a value with a line break must be in double quotes)',
      );
    }
    if (!SECRET_NAME_SHAPE.test(name)) return refuse('a name that is not a secret name');
    if (name in secrets) return refuse('a name given twice', line, name);
    i++;
    const startLine = line;
    const quote = text[i];
    let value: string;
    if (quote === '"' || quote === "'") {
      const parsed = quote === '"' ? doubleQuoted(text, i + 1) : singleQuoted(text, i + 1);
      if (typeof parsed === 'string') return refuse(parsed, startLine, name);
      value = parsed.value;
      line += parsed.lineBreaks;
      i = parsed.end;
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (text[i] === '#') i = endOfLine(text, i);
      if (i < text.length && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
        return refuse('text after the closing quote', line, name);
      }
    } else if (quote === '`') {
      return refuse('a backtick-quoted value (use double quotes)', line, name);
    } else {
      const end = endOfLine(text, i);
      // A CR is a line ending only before an LF (a CRLF file); anywhere else it is refused below.
      value = text.slice(i, text[end] === '\n' && text[end - 1] === '\r' ? end - 1 : end);
      const problem = unquotedProblem(value);
      if (problem !== undefined) return refuse(problem, line, name);
      i = end;
    }
    secrets[name] = value;
  }
  return { ok: true, secrets };
}

/** Index of the line feed ending the line at `from`, or the end of the text. */
function endOfLine(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end === -1 ? text.length : end;
}

interface Quoted {
  readonly value: string;
  /** Index just past the closing quote. */
  readonly end: number;
  readonly lineBreaks: number;
}

function doubleQuoted(text: string, from: number): Quoted | string {
  const parts: string[] = [];
  let lineBreaks = 0;
  let run = from;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      parts.push(text.slice(run, i));
      return { value: parts.join(''), end: i + 1, lineBreaks };
    }
    if (c === '\n') lineBreaks++;
    if (c === '\\') {
      const escaped = ESCAPES[text[i + 1] ?? ''];
      if (escaped === undefined) {
        return 'a backslash escape other than \\\\, \\", \\n or \\r in a double-quoted value';
      }
      parts.push(text.slice(run, i), escaped);
      i++;
      run = i + 1;
    }
  }
  return 'a double-quoted value with no closing quote';
}

function singleQuoted(text: string, from: number): Quoted | string {
  const close = text.indexOf("'", from);
  if (close === -1) return 'a single-quoted value with no closing quote';
  const value = text.slice(from, close);
  return { value, end: close + 1, lineBreaks: value.split('\n').length - 1 };
}

function unquotedProblem(value: string): string | undefined {
  if (/^[ \t]|[ \t]$/.test(value)) {
    return 'an unquoted value that starts or ends with a space or tab (quote it)';
  }
  if (/[ \t]#/.test(value))
    return 'an unquoted value with " #" in it, which dotenv reads as a comment (quote it)';
  if (value.includes('\r')) return 'a carriage return in an unquoted value (quote it)';
  return undefined;
}
