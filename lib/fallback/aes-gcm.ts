import { createDecipheriv } from 'node:crypto';

/** GCM's recommended nonce size, used by both fallback formats. */
export const GCM_NONCE_BYTES = 12;
/** The full-length tag, appended to the ciphertext by both fallback formats. */
export const GCM_TAG_BYTES = 16;

/**
 * Opens AES-256-GCM output laid out as ciphertext followed by its 16-byte tag.
 *
 * @param aad the additional authenticated data it was sealed with, if any.
 * @returns the plaintext, or `undefined` when the key is wrong or any byte (of `sealed` or
 *   `aad`) was changed.
 */
export function openAesGcm(key: Buffer, nonce: Buffer, sealed: Buffer, aad?: Buffer): Buffer | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
  if (aad !== undefined) decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES));
  try {
    return Buffer.concat([plaintext, decipher.final()]);
  } catch {
    return undefined;
  } finally {
    // update() output is unauthenticated until final() succeeds: never handed out, never left behind.
    plaintext.fill(0);
  }
}
