import { fallbackInvalid, fallbackWriteFailed, printableName } from './fallback-failures.js';

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Reads decrypted secrets: a flat JSON object of strings, or the file is refused. V8's
 * parse error quotes the input, so it is dropped; messages name secrets, never values. The
 * result has no prototype (a `__proto__` name is just a name) and is frozen.
 *
 * @throws {DopplerFallbackError} `DOPPLER_FALLBACK_INVALID` for anything else.
 */
export function parseSecretsJson(path: string, plaintext: Buffer): Readonly<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw fallbackInvalid(path, 'decrypted, but its contents are not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw fallbackInvalid(path, `decrypted, but holds ${typeOf(parsed)} instead of an object of secrets`);
  }
  const secrets = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      throw fallbackInvalid(
        path,
        `decrypted, but holds ${typeOf(value)} for ${printableName(name)}; every secret must be a string`,
      );
    }
    secrets[name] = value;
  }
  return Object.freeze(secrets);
}

/**
 * The plaintext to encrypt, as a buffer the caller can wipe once sealed.
 *
 * @throws {DopplerFallbackError} `DOPPLER_FALLBACK_WRITE_FAILED` when `secrets` is not an
 *   object of strings (it names the secret, not its value).
 */
export function serializeSecrets(path: string, secrets: Readonly<Record<string, string>>): Buffer {
  if (secrets === null || typeof secrets !== 'object' || Array.isArray(secrets)) {
    throw fallbackWriteFailed(
      path,
      `was not written: the secrets given are ${typeOf(secrets)}, not an object`,
    );
  }
  const flat = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(secrets)) {
    if (typeof value !== 'string') {
      throw fallbackWriteFailed(
        path,
        `was not written: the secret ${printableName(name)} is ${typeOf(value)}; every secret must be a string`,
      );
    }
    flat[name] = value;
  }
  return Buffer.from(JSON.stringify(flat), 'utf8');
}
