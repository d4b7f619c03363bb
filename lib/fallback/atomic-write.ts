import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Owner read/write only: the file is encrypted, but its header names the project and config. */
export const FILE_MODE = 0o600;
/** Mode of a directory this library creates for the file. */
export const DIRECTORY_MODE = 0o700;

/** Where a write in progress lives; hidden, in the target's directory so `rename` stays atomic. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Replaces `target` with `data` so that a reader, or a crash at any point, sees either the
 * old file whole or the new file whole: write a temp file beside it (`wx`, mode 0600),
 * fsync, close, rename over the target, then fsync the directory so the rename itself
 * survives a power cut. The temp file is removed on failure.
 *
 * @throws the file system's error (with its errno `code`) when a step fails.
 */
export async function writeFileAtomic(target: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
  const directory = dirname(target);
  // Once the caller has given up (shutdown, deadline), nothing is created or replaced.
  if (signal?.aborted) throw new WriteAbandoned();
  await mkdir(directory, { recursive: true, mode: DIRECTORY_MODE });
  const temp = tempPathFor(target);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', FILE_MODE);
    // The umask can only narrow the mode given to open(); this also widens nothing. Done on
    // the descriptor, before the rename, so the target never exists with another mode and no
    // path is followed (a chmod by path after the rename could hit a swapped-in symlink).
    await handle.chmod(FILE_MODE);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (signal?.aborted) throw new WriteAbandoned();
    await rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

/** Best effort: some platforms (Windows) and file systems cannot fsync a directory. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // The data is written and renamed; only durability across a power cut is weaker.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** The write was abandoned before it replaced anything: the old file, if any, is intact. */
export class WriteAbandoned extends Error {
  readonly code = 'ABANDONED';
  constructor() {
    super('write abandoned');
    this.name = 'WriteAbandoned';
  }
}
