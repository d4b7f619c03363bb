import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

/** libuv's default thread pool size; tests do not change UV_THREADPOOL_SIZE. */
const POOL_THREADS = 4;

/**
 * Takes every thread of libuv's pool, as a hung NFS volume does: each blocking open of a FIFO
 * without a writer holds one. File reads, writes and key derivations queue behind them until
 * `release()`.
 */
export function stuckThreadPool(dir: string): { release(): Promise<void> } {
  const fifos = Array.from({ length: POOL_THREADS }, (_, i) => {
    const path = join(dir, `stuck-${i}`);
    execFileSync('mkfifo', [path]);
    return path;
  });
  const holds = fifos.map((path) => open(path, 'r').catch(() => undefined));
  return {
    async release() {
      // A writer on each FIFO lets its blocked open return. Opened on this thread, non-blocking:
      // every pool thread is taken.
      for (const path of fifos) closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
      for (const hold of await Promise.all(holds)) await hold?.close();
    },
  };
}
