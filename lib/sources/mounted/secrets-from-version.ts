import { printable } from '../../core/printable.js';
import { parseFlatStringMap } from '../../core/flat-string-map.js';
import type { DopplerError } from '../../errors/doppler.errors.js';
import { mountError } from './mounted.errors.js';
import { parseDotenv } from './parse-dotenv.js';
import type { MountedVersion } from './read-mounted-version.js';
import { quotedName, SECRET_NAME_SHAPE, SECRETS_FILE_KEY } from './secret-name.js';

// Fatal: a byte sequence that is not UTF-8 is refused, not replaced with U+FFFD. ignoreBOM keeps
// a byte order mark in the value instead of silently dropping it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The set a version holds. One file per secret: each file's bytes are its value, exactly (a
 * trailing newline included: a kubelet key file holds the Secret's bytes and nothing else).
 * A `DOPPLER_SECRETS_FILE` alone, or the file `mounted.path` names, holds the whole set, in
 * JSON (a flat object of strings) or env format: JSON when its first character other than
 * whitespace is `{` (or `[`, to say an array is not a set), which no env line can start with.
 *
 * @param path the mounted path, for messages.
 * @throws {DopplerError} `DOPPLER_MALFORMED_RESPONSE` naming the file and what is wrong.
 */
export function secretsFromVersion(version: MountedVersion, path: string): Record<string, string> {
  const [first] = version.files;
  if (version.layout === 'file') return first ? parseSecretsFile(first[1], printable(path)) : {};
  if (version.files.has(SECRETS_FILE_KEY)) {
    if (version.files.size > 1) {
      throw mountError(
        'MOUNT_AMBIGUOUS',
        `${printable(path)} holds ${SECRETS_FILE_KEY} beside ${version.files.size - 1} other key(s): it is either the whole set (a DopplerSecret with a format) or one of many, not both. Mount one DopplerSecret's Secret per volume.`,
      );
    }
    return parseSecretsFile(
      version.files.get(SECRETS_FILE_KEY) as Buffer,
      `${SECRETS_FILE_KEY} in ${printable(path)}`,
    );
  }
  const secrets = Object.create(null) as Record<string, string>;
  for (const [name, data] of version.files) {
    secrets[name] = decode(data, `${quotedName(name)} in ${printable(path)}`);
  }
  return secrets;
}

/** A file holding the whole set, in JSON or env format. */
function parseSecretsFile(data: Buffer, where: string): Record<string, string> {
  const text = decode(data, where);
  if (/^[ \t\r\n]*[{[]/.test(text)) return parseJson(text, where);
  const parsed = parseDotenv(text);
  if (parsed.ok) return parsed.secrets;
  const name = parsed.name !== undefined ? ` (for ${quotedName(parsed.name)})` : '';
  throw mountError(
    'MOUNT_BAD_ENV',
    `${where}, line ${parsed.line}: ${parsed.problem}${name}. It is read as env format (JSON would start with "{"); ` +
      "set the DopplerSecret's format to json or env (dotnet-json, yaml and docker are not read), or see the README for the lines accepted.",
  );
}

function parseJson(text: string, where: string): Record<string, string> {
  const parsed = parseFlatStringMap(text, SECRET_NAME_SHAPE);
  if (!parsed.ok) {
    const what =
      parsed.problem === 'not-json'
        ? 'is not valid JSON (cut short?)'
        : parsed.problem === 'not-object'
          ? `is ${parsed.type}, not an object of secrets`
          : `holds ${parsed.type} for ${parsed.name}, and every secret must be a string (format dotnet-json nests them: use json)`;
    throw badJson(`${where} ${what}.`);
  }
  for (const name of Object.keys(parsed.secrets)) {
    if (!SECRET_NAME_SHAPE.test(name)) {
      throw badJson(
        `${where} holds a name that is not a secret name (${quotedName(name)}): a letter or _, then letters, digits, _, . or -.`,
      );
    }
  }
  return parsed.secrets;
}

function badJson(message: string): DopplerError {
  return mountError('MOUNT_BAD_JSON', message);
}

function decode(data: Buffer, where: string): string {
  try {
    return utf8.decode(data);
  } catch {
    // The decoder's own error says nothing of the bytes, but nothing of it is needed either.
    throw mountError(
      'MOUNT_NOT_UTF8',
      `${where} is not UTF-8 text (${data.length} bytes): a binary key, or a value a base64 processor decoded, cannot be a secret here. Leave that key out of the volume (its items), or keep it base64-encoded.`,
    );
  }
}
