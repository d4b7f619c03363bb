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
      // every pool thread is taken. A FIFO whose reader has not opened yet (its open still
      // queued behind work the pool was busy with when this began) refuses a non-blocking
      // writer (ENXIO): it is tried again once the others let their threads go.
      let waiting = fifos;
      const until = Date.now() + RELEASE_LIMIT_MS;
      while (waiting.length > 0) {
        waiting = waiting.filter((path) => !openedWriter(path));
        if (waiting.length === 0) break;
        if (Date.now() > until) {
          throw new Error(
            `stuckThreadPool: no reader opened ${waiting.join(', ')} within ${RELEASE_LIMIT_MS} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      for (const hold of await Promise.all(holds)) await hold?.close();
    },
  };
}

/** How long `release()` waits for a reader that has not opened its FIFO yet. */
const RELEASE_LIMIT_MS = 5_000;

/** Opens and closes a writer on the FIFO at `path`; false when it has no reader yet (ENXIO). */
function openedWriter(path: string): boolean {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    return true;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENXIO') return false;
    throw error;
  }
}
