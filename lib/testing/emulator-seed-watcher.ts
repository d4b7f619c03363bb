import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { systemClock, type Cancel, type Clock } from '../core/clock.js';

/** How the CLI follows its seed file; the defaults are in {@link watchSeedFile}. */
export interface SeedWatchOptions {
  /** The safety-net check of the file's mtime and size, in ms (fs.watch misses events on some mounts). */
  readonly pollIntervalMs?: number;
  /** A burst of events (an editor's write, rename, chmod) becomes one reload this long after the last. */
  readonly settleMs?: number;
  /** Off: the poll alone (tests of the safety net). */
  readonly fsWatch?: boolean;
  readonly clock?: Clock;
}

/**
 * Calls `reload` when the file at `path` changes: on an fs.watch event for it (the directory is
 * watched, so an editor that saves by writing a new file and renaming it over the old one is
 * seen too), and when a slow poll finds its mtime or size changed. Reloads never overlap; a
 * change seen during one runs another after it. Nothing here keeps the process alive.
 *
 * @returns stops watching
 */
export function watchSeedFile(path: string, reload: () => void, options: SeedWatchOptions = {}): Cancel {
  const clock = options.clock ?? systemClock;
  const pollMs = options.pollIntervalMs ?? 5_000;
  const settleMs = options.settleMs ?? 100;
  let stopped = false;
  let seen: string | undefined;
  let cancelSettle: Cancel | undefined;
  let cancelPoll: Cancel | undefined;

  const fingerprint = (): Promise<string | undefined> =>
    stat(path).then(
      (s) => `${s.mtimeMs}:${s.size}`,
      () => undefined,
    );
  const run = async (): Promise<void> => {
    cancelSettle = undefined;
    if (stopped) return;
    seen = await fingerprint();
    if (!stopped) reload();
  };
  const soon = (): void => {
    cancelSettle?.();
    cancelSettle = clock.schedule(() => void run(), settleMs);
  };
  const poll = (): void => {
    cancelPoll = clock.schedule(() => {
      void fingerprint().then((now) => {
        if (stopped) return;
        if (now !== undefined && now !== seen && cancelSettle === undefined) void run();
        poll();
      });
    }, pollMs);
  };

  let watcher: FSWatcher | undefined;
  void fingerprint().then((first) => {
    if (stopped) return;
    seen = first;
    poll();
  });
  if (options.fsWatch !== false) {
    const name = basename(path);
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
        // Some platforms give no file name: any event in the directory is a maybe.
        if (file === null || file.toString() === name) soon();
      });
      // A directory that goes away ends the watch; the poll carries on.
      watcher.on('error', () => watcher?.close());
    } catch {
      watcher = undefined;
    }
  }
  return () => {
    stopped = true;
    watcher?.close();
    cancelSettle?.();
    cancelPoll?.();
  };
}
