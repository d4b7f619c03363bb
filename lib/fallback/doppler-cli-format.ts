import { GCM_NONCE_BYTES, GCM_TAG_BYTES, openAesGcm } from './aes-gcm.js';
import { fallbackInvalid } from './fallback-failures.js';
import { isAcceptedRounds, MAX_PBKDF2_ROUNDS, MIN_PBKDF2_ROUNDS } from './key-derivation.js';
import { decodeBase64, decodeHex } from './strict-encoding.js';

/*
 * The Doppler CLI's fallback file (`doppler run`, pkg/crypto/aes.go and
 * pkg/models/encrypted_file.go in DopplerHQ/cli), one line, no newline:
 *
 *   4:base64:500000:<salt>-<nonce>-<ciphertext+tag>     written by CLI v3 today ("version 4")
 *   base64:50000:<...> / hex:50000:<...>                 older ("version 3")
 *   base64:<...> / hex:<...>                             older, 50,000 rounds ("version 2")
 *   <hex salt>-<hex nonce>-<hex ciphertext+tag>          oldest, 50,000 rounds ("version 1")
 *
 * The version is the number of `:`-separated fields. Each of the three `-`-separated parts
 * is standard padded base64 (or hex) of raw bytes: an 8-byte salt, a 12-byte nonce, and
 * AES-256-GCM output with its 16-byte tag appended and no additional authenticated data.
 * The key is PBKDF2-HMAC-SHA256(passphrase, salt, rounds, 32 bytes); the plaintext is the
 * API's JSON download, a flat object of strings that normally includes DOPPLER_PROJECT,
 * DOPPLER_CONFIG and DOPPLER_ENVIRONMENT. Nothing outside the ciphertext is authenticated,
 * so the rounds are bounded before deriving and the age comes from the file's mtime.
 */

const LEGACY_ROUNDS = 50_000;
const MIN_SALT_BYTES = 8;
const MAX_SALT_BYTES = 64;
const PREFIXED = /^(?:4:)?(?:base64|hex):/;
const BARE_HEX = /^[0-9a-fA-F]+-[0-9a-fA-F]+-[0-9a-fA-F]+\s*$/;

/** A parsed, not yet authenticated, Doppler CLI fallback file. */
export interface CliFile {
  readonly rounds: number;
  readonly salt: Buffer;
  readonly nonce: Buffer;
  readonly sealed: Buffer;
}

export function looksLikeCli(data: Buffer): boolean {
  const text = data.toString('latin1');
  return PREFIXED.test(text) || BARE_HEX.test(text);
}

/**
 * Splits and checks a CLI file without the key, bounding its rounds first.
 *
 * @throws {DopplerError} `DOPPLER_FALLBACK_INVALID` naming what is wrong.
 */
export function parseCli(path: string, data: Buffer): CliFile {
  // Go's base64 decoder skips line breaks, so a trailing newline added by an editor is tolerated.
  const envelope = splitEnvelope(data.toString('latin1').trimEnd());
  if (envelope === undefined) {
    throw fallbackInvalid(path, 'looks like a Doppler CLI fallback file but has an unknown version prefix');
  }
  const { encoding, roundsText, payload } = envelope;
  if (encoding !== 'base64' && encoding !== 'hex') {
    throw fallbackInvalid(
      path,
      'looks like a Doppler CLI fallback file but names an encoding other than base64 or hex',
    );
  }
  const rounds =
    roundsText === undefined ? LEGACY_ROUNDS : /^\d{1,10}$/.test(roundsText) ? Number(roundsText) : NaN;
  if (!isAcceptedRounds(rounds)) {
    const shown = Number.isFinite(rounds) ? String(rounds) : 'an unreadable number of';
    throw fallbackInvalid(
      path,
      `asks for ${shown} PBKDF2 rounds, outside the accepted ${MIN_PBKDF2_ROUNDS}..${MAX_PBKDF2_ROUNDS}; it was not written by the Doppler CLI or was tampered with`,
    );
  }

  const decode = encoding === 'base64' ? decodeBase64 : decodeHex;
  const parts = payload.split('-');
  const [salt, nonce, sealed] = parts.length === 3 ? parts.map(decode) : [];
  if (salt === undefined || nonce === undefined || sealed === undefined) {
    throw fallbackInvalid(
      path,
      `is cut short or damaged (expected three ${encoding} parts separated by "-")`,
    );
  }
  if (
    salt.length < MIN_SALT_BYTES ||
    salt.length > MAX_SALT_BYTES ||
    nonce.length !== GCM_NONCE_BYTES ||
    sealed.length < GCM_TAG_BYTES
  ) {
    throw fallbackInvalid(path, 'is cut short or damaged (its salt, nonce or ciphertext has the wrong size)');
  }
  return { rounds, salt, nonce, sealed };
}

interface Envelope {
  readonly encoding: string;
  readonly roundsText?: string;
  readonly payload: string;
}

/** As the CLI does it, the version is the number of `:`-separated fields. */
function splitEnvelope(text: string): Envelope | undefined {
  const f = text.split(':');
  switch (f.length) {
    case 4:
      return f[0] === '4' ? { encoding: f[1], roundsText: f[2], payload: f[3] } : undefined;
    case 3:
      return { encoding: f[0], roundsText: f[1], payload: f[2] };
    case 2:
      return { encoding: f[0], payload: f[1] };
    case 1:
      return { encoding: 'hex', payload: f[0] };
    default:
      return undefined;
  }
}

/** The plaintext, or `undefined` when the key is wrong or any byte was changed. */
export function openCli(file: CliFile, key: Buffer): Buffer | undefined {
  return openAesGcm(key, file.nonce, file.sealed);
}
