import type { IncomingMessage } from 'node:http';

/** Doppler's request bodies are small JSON documents; anything bigger is a client bug or an attack. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

/** A body the emulator read, or the sign that it was too large to keep. */
export type RequestBody = { readonly text: string } | { readonly tooLarge: true };

/**
 * Reads the whole body as UTF-8. Past `limit` bytes it keeps draining (so a keep-alive connection
 * stays usable) but drops what it reads, and answers `tooLarge`.
 */
export function readRequestBody(req: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<RequestBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.once('end', () =>
      resolve(size > limit ? { tooLarge: true } : { text: Buffer.concat(chunks).toString('utf8') }),
    );
    req.once('error', reject);
  });
}
