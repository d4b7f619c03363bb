import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, openAesGcm } from './aes-gcm.js';
import { fallbackInvalid } from './fallback-failures.js';
import type { DopplerScope } from '../core/scope.js';
import { isAcceptedRounds, MAX_PBKDF2_ROUNDS, MIN_PBKDF2_ROUNDS, SALT_BYTES } from './key-derivation.js';
import { decodeBase64 } from './strict-encoding.js';

/*
 * This library's fallback file is two newline-terminated lines:
 *
 *   {"format":"nestjs-doppler/2","kdf":"pbkdf2-sha256","rounds":500000,"salt":"<b64>","nonce":"<b64>",
 *    "project":"shop","config":"dev","binding":"scope","tokenFingerprint":null,
 *    "writtenAt":"2025-01-31T12:00:00.000Z"}                                          (one line)
 *   <b64 of the AES-256-GCM ciphertext followed by its 16-byte tag>
 *
 * base64 is standard and padded; salt is 16 random bytes, nonce 12; project/config are
 * strings or null: the scope of the set, as Doppler named it, whatever token fetched it.
 * `binding` is `scope` (any token for that project/config may read the copy) or `token` (only
 * the token whose fingerprint is recorded: base64url of the first 16 bytes of
 * HMAC-SHA256(salt, token), never the token). Format 1 files (no binding fields) read as
 * `scope`. The key is PBKDF2-HMAC-SHA256(passphrase, salt, rounds, 32 bytes); the
 * plaintext is the secrets as a JSON object of strings. The exact bytes of line 1 (without
 * its newline) are GCM's additional authenticated data, so editing anything in the header
 * (scope, date, rounds, even a space) makes decryption fail. The header stays readable so
 * a wrong scope can be reported without the passphrase, and so the rounds can be bounded
 * before any work is done.
 */

export const NATIVE_FORMAT = 'nestjs-doppler/2';
const FORMAT_1 = 'nestjs-doppler/1';
const FINGERPRINT = /^[A-Za-z0-9_-]{22}$/;
const KDF = 'pbkdf2-sha256';
const NEWLINE = 0x0a;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A parsed, not yet authenticated, file of this library's format. */
export interface NativeFile {
  readonly header: Buffer;
  readonly rounds: number;
  readonly salt: Buffer;
  readonly nonce: Buffer;
  readonly scope: DopplerScope;
  readonly binding: CopyBinding;
  readonly writtenAt: Date;
  readonly sealed: Buffer;
}

/** Who may read a copy: any token of its scope, or only the token it was written with. */
export type CopyBinding =
  { readonly kind: 'scope' } | { readonly kind: 'token'; readonly fingerprint: string };

/** The fingerprint a copy records for `binding: 'token'`: keyed by the file's salt, one-way. */
export function tokenFingerprint(salt: Buffer, token: string): string {
  return createHmac('sha256', salt).update(token, 'utf8').digest().subarray(0, 16).toString('base64url');
}

export interface SealInput {
  readonly key: Buffer;
  readonly salt: Buffer;
  readonly rounds: number;
  readonly scope: DopplerScope;
  /** Set to bind the copy to this token (its fingerprint is recorded). */
  readonly bindToToken?: string;
  readonly writtenAt: Date;
  readonly plaintext: Buffer;
}

/** A JSON object is the only thing this format starts with; the CLI's starts with a digit, `base64:` or `hex:`. */
export function looksNative(data: Buffer): boolean {
  return data[0] === 0x7b;
}

/** Encrypts under a fresh nonce and lays out the file. */
export function sealNative(input: SealInput): Buffer {
  const nonce = randomBytes(GCM_NONCE_BYTES);
  // Field order is fixed here; readers authenticate the bytes, never a re-serialisation.
  const header = Buffer.from(
    JSON.stringify({
      format: NATIVE_FORMAT,
      kdf: KDF,
      rounds: input.rounds,
      salt: input.salt.toString('base64'),
      nonce: nonce.toString('base64'),
      project: input.scope.project ?? null,
      config: input.scope.config ?? null,
      binding: input.bindToToken === undefined ? 'scope' : 'token',
      tokenFingerprint:
        input.bindToToken === undefined ? null : tokenFingerprint(input.salt, input.bindToToken),
      writtenAt: input.writtenAt.toISOString(),
    }),
    'utf8',
  );
  const cipher = createCipheriv('aes-256-gcm', input.key, nonce, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(header);
  const sealed = Buffer.concat([cipher.update(input.plaintext), cipher.final(), cipher.getAuthTag()]);
  const body = Buffer.from(`\n${sealed.toString('base64')}\n`, 'ascii');
  return Buffer.concat([header, body]);
}

/**
 * Splits and checks a file without the key: structure, KDF name, rounds bound, sizes.
 *
 * @throws {DopplerError} `DOPPLER_FALLBACK_INVALID` naming what is wrong.
 */
export function parseNative(path: string, data: Buffer): NativeFile {
  const end = data.indexOf(NEWLINE);
  const last = end === -1 ? -1 : data.indexOf(NEWLINE, end + 1);
  if (end <= 0 || last !== data.length - 1) {
    throw fallbackInvalid(path, 'is cut short or damaged (expected a header line and a ciphertext line)');
  }
  const header = data.subarray(0, end);
  const fields = parseHeader(path, header);
  const sealed = decodeBase64(data.subarray(end + 1, last).toString('latin1'));
  if (sealed === undefined || sealed.length < GCM_TAG_BYTES) {
    throw fallbackInvalid(
      path,
      'is cut short or damaged (its ciphertext line is not valid base64 of a sealed payload)',
    );
  }
  return { header, sealed, ...fields };
}

/** The plaintext, or `undefined` when the key is wrong or any byte, header included, was changed. */
export function openNative(file: NativeFile, key: Buffer): Buffer | undefined {
  return openAesGcm(key, file.nonce, file.sealed, file.header);
}

type HeaderFields = Omit<NativeFile, 'header' | 'sealed'>;

function parseHeader(path: string, header: Buffer): HeaderFields {
  let parsed: unknown;
  try {
    parsed = JSON.parse(header.toString('utf8'));
  } catch {
    throw fallbackInvalid(path, 'has a header that is not valid JSON; it is damaged or not a fallback file');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw fallbackInvalid(
      path,
      'has a header that is not a JSON object; it is damaged or not a fallback file',
    );
  }
  const h = parsed as Record<string, unknown>;
  if (h['format'] !== NATIVE_FORMAT && h['format'] !== FORMAT_1) {
    throw fallbackInvalid(
      path,
      `is not in a format this version reads (expected "${NATIVE_FORMAT}"); it may come from another version of nestjs-doppler`,
    );
  }
  if (h['kdf'] !== KDF) throw fallbackInvalid(path, `names a key derivation other than ${KDF}`);
  const rounds = h['rounds'];
  if (!isAcceptedRounds(rounds)) {
    const shown =
      typeof rounds === 'number' && Number.isFinite(rounds) ? String(rounds) : 'an unreadable number of';
    throw fallbackInvalid(
      path,
      `asks for ${shown} PBKDF2 rounds, outside the accepted ${MIN_PBKDF2_ROUNDS}..${MAX_PBKDF2_ROUNDS}; it was not written by this library or was tampered with`,
    );
  }
  const salt = typeof h['salt'] === 'string' ? decodeBase64(h['salt']) : undefined;
  const nonce = typeof h['nonce'] === 'string' ? decodeBase64(h['nonce']) : undefined;
  if (salt?.length !== SALT_BYTES || nonce?.length !== GCM_NONCE_BYTES) {
    throw fallbackInvalid(
      path,
      `has a header whose salt or nonce is not base64 of ${SALT_BYTES} and ${GCM_NONCE_BYTES} bytes`,
    );
  }
  const writtenAt =
    typeof h['writtenAt'] === 'string' && ISO_DATE.test(h['writtenAt'])
      ? new Date(h['writtenAt'])
      : undefined;
  if (writtenAt === undefined || Number.isNaN(writtenAt.getTime())) {
    throw fallbackInvalid(path, 'has a header whose writtenAt is not an ISO 8601 UTC date');
  }
  return {
    rounds,
    salt,
    nonce,
    writtenAt,
    scope: { ...scopeField(path, h, 'project'), ...scopeField(path, h, 'config') },
    binding: h['format'] === FORMAT_1 ? { kind: 'scope' } : bindingField(path, h),
  };
}

function bindingField(path: string, h: Record<string, unknown>): CopyBinding {
  const fingerprint = h['tokenFingerprint'];
  if (h['binding'] === 'scope' && fingerprint === null) return { kind: 'scope' };
  if (h['binding'] === 'token' && typeof fingerprint === 'string' && FINGERPRINT.test(fingerprint)) {
    return { kind: 'token', fingerprint };
  }
  throw fallbackInvalid(path, 'has a header whose binding or tokenFingerprint is malformed');
}

function scopeField(path: string, h: Record<string, unknown>, field: 'project' | 'config'): DopplerScope {
  const value = h[field];
  if (value === null) return {};
  if (typeof value === 'string') return { [field]: value };
  throw fallbackInvalid(path, `has a header whose ${field} is neither a name nor null`);
}
