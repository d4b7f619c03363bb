import type { Logger } from '@nestjs/common';
import { watch } from 'node:fs';
import type { Cancel, Clock } from '../../core/clock.js';
import { printable } from '../../core/printable.js';
import { errnoOf } from './mount-file-system.js';

/**
 * Starts watching `dir` (not recursively): `onEvent` for any change in it, `onError` when the
 * watch broke (it is then closed). Throws if the watch cannot start.
 * @returns closes the watch.
 */
export type WatchDirectory = (
  dir: string,
  onEvent: () => void,
  onError: (code?: string) => void,
) => () => void;

/** `fs.watch`, not persistent: a watch never keeps the process alive on its own. */
export const watchWithFs: WatchDirectory = (dir, onEvent, onError) => {
  const watcher = watch(dir, { persistent: false }, () => onEvent());
  watcher.on('error', (error: unknown) => {
    watcher.close();
    onError(errnoOf(error));
  });
  return () => watcher.close();
};

// A kubelet swap is several events (a new directory, ..data_tmp, the rename, the old
// directory's removal) within milliseconds: one check after the first covers them, and an
// event after that check starts another.
export const WATCH_SETTLE_MS = 100;

export interface MountWatchOptions {
  /** The directory whose entries change when the volume does: the mount, or a file's directory. */
  readonly dir: string;
  readonly pollInterval: number;
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'warn'>;
  readonly watchDirectory?: WatchDirectory;
}

/**
 * Calls `onChange` when the mounted volume may have changed: {@link WATCH_SETTLE_MS} after a
 * file event in `dir`, and every `pollInterval` whatever happened, because watch events are not
 * delivered on every volume type (network and FUSE file systems, some container runtimes). A
 * watch that fails or breaks is reported once and tried again at each poll; the poll goes on
 * either way. Both run on `clock`.
 *
 * @returns stops both: no timer, watch or pending call is left, and `onChange` is not called again.
 */
export function watchMountedPath(options: MountWatchOptions, onChange: () => void): () => void {
  const { dir, pollInterval, clock, logger } = options;
  const watchDirectory = options.watchDirectory ?? watchWithFs;
  let stopped = false;
  let poll: Cancel | undefined;
  let settle: Cancel | undefined;
  let closeWatch: (() => void) | undefined;
  let warned = false;

  const notify = (): void => {
    if (!stopped) onChange();
  };
  const onEvent = (): void => {
    if (stopped || settle !== undefined) return;
    settle = clock.schedule(() => {
      settle = undefined;
      notify();
    }, WATCH_SETTLE_MS);
  };
  const onBroken = (code?: string): void => {
    closeWatch = undefined;
    if (stopped || warned) return;
    warned = true;
    logger.warn(
      `Watching ${printable(dir)} for changes failed (${code ?? 'no reason given'}); a changed volume is noticed by the check every ${pollInterval} ms (mounted.pollInterval) instead.`,
    );
  };
  const startWatch = (): void => {
    let broken = false;
    try {
      const close = watchDirectory(dir, onEvent, (code) => {
        broken = true;
        onBroken(code);
      });
      // A watch that broke while starting is closed already; one started after stop() is closed now.
      if (!stopped && !broken) closeWatch = close;
      else close();
    } catch (error: unknown) {
      onBroken(errnoOf(error));
    }
  };
  const schedulePoll = (): void => {
    poll = clock.schedule(() => {
      poll = undefined;
      if (stopped) return;
      if (closeWatch === undefined) startWatch();
      notify();
      schedulePoll();
    }, pollInterval);
  };

  startWatch();
  schedulePoll();
  return () => {
    stopped = true;
    poll?.();
    settle?.();
    closeWatch?.();
    poll = settle = closeWatch = undefined;
  };
}
