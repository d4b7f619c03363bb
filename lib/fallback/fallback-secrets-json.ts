import { checkFlatStringMap, parseFlatStringMap } from '../core/flat-string-map.js';
import { fallbackInvalid, fallbackWriteFailed } from './fallback-failures.js';

/**
 * Reads decrypted secrets: a flat JSON object of strings, or the file is refused. V8's
 * parse error quotes the input, so it is dropped; messages name secrets, never values. The
 * result has no prototype (a `__proto__` name is just a name) and is frozen.
 *
 * @throws {DopplerError} `DOPPLER_FALLBACK_INVALID` for anything else.
 */
export function parseSecretsJson(path: string, plaintext: Buffer): Readonly<Record<string, string>> {
  const result = parseFlatStringMap(plaintext.toString('utf8'));
  if (result.ok) return Object.freeze(result.secrets);
  switch (result.problem) {
    case 'not-json':
      throw fallbackInvalid(path, 'decrypted, but its contents are not valid JSON');
    case 'not-object':
      throw fallbackInvalid(path, `decrypted, but holds ${result.type} instead of an object of secrets`);
    case 'not-string':
      throw fallbackInvalid(
        path,
        `decrypted, but holds ${result.type} for ${result.name}; every secret must be a string`,
      );
  }
}

/**
 * The plaintext to encrypt, as a buffer the caller can wipe once sealed.
 *
 * @throws {DopplerError} `DOPPLER_FALLBACK_WRITE_FAILED` when `secrets` is not an
 *   object of strings (it names the secret, not its value).
 */
export function serializeSecrets(path: string, secrets: Readonly<Record<string, string>>): Buffer {
  const result = checkFlatStringMap(secrets);
  if (result.ok) return Buffer.from(JSON.stringify(result.secrets), 'utf8');
  switch (result.problem) {
    case 'not-object':
      throw fallbackWriteFailed(path, `was not written: the secrets given are ${result.type}, not an object`);
    case 'not-string':
      throw fallbackWriteFailed(
        path,
        `was not written: the secret ${result.name} is ${result.type}; every secret must be a string`,
      );
  }
}
