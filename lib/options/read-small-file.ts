import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** Why a small file could not be read, in words safe to print (an errno code at most). */
export type SmallFileProblem =
  | { readonly problem: 'missing' }
  | { readonly problem: 'not-a-file' }
  | { readonly problem: 'too-large'; readonly limit: number }
  | { readonly problem: 'unreadable'; readonly code?: string };

/** The file's bytes, or what stopped the read. */
export type SmallFileRead =
  | { readonly ok: true; readonly data: Buffer; readonly mtimeMs: number }
  | ({ readonly ok: false } & SmallFileProblem);

/**
 * Reads a file that should be small (a token, a fallback copy) without ever blocking on what is
 * not a regular file: it is opened non-blocking (a FIFO or a device opens at once instead of
 * waiting for a writer), checked to be a regular file on the same descriptor, and read only up
 * to `maxBytes`. A hung volume can still hold the read: callers bound it with a deadline.
 */
export async function readSmallFile(path: string, maxBytes: number): Promise<SmallFileRead> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, problem: 'not-a-file' };
    if (stat.size > maxBytes) return { ok: false, problem: 'too-large', limit: maxBytes };
    // Sized by the stat, but read until end of file: the file may grow while it is read.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(Math.max(stat.size, 4096), maxBytes + 1 - length));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > maxBytes) return { ok: false, problem: 'too-large', limit: maxBytes };
    }
    return { ok: true, data: Buffer.concat(chunks, length), mtimeMs: stat.mtimeMs };
  } catch (error: unknown) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ENOENT') return { ok: false, problem: 'missing' };
    return {
      ok: false,
      problem: 'unreadable',
      ...(typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && { code }),
    };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
