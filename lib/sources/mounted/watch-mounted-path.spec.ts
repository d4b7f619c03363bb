import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/support/fake-clock.js';
import { KubeletVolume } from '../../../test/support/kubelet-volume.js';
import { WATCH_SETTLE_MS, watchMountedPath, watchWithFs, type WatchDirectory } from './watch-mounted-path.js';

const POLL = 30_000;

/** A watch the test drives: it records starts and closes, and fires or breaks on demand. */
class ScriptedWatch {
  starts = 0;
  closes = 0;
  failStart: string | undefined;
  fire: (() => void) | undefined;
  break: ((code?: string) => void) | undefined;

  readonly watchDirectory: WatchDirectory = (_dir, onEvent, onError) => {
    this.starts++;
    if (this.failStart !== undefined)
      throw Object.assign(new Error('watch failed'), { code: this.failStart });
    this.fire = onEvent;
    this.break = onError;
    return () => {
      this.closes++;
    };
  };
}

class Warnings {
  readonly lines: string[] = [];
  warn(message: string): void {
    this.lines.push(message);
  }
}

function start(watch: ScriptedWatch | WatchDirectory, dir = '/mnt/secrets') {
  const clock = new FakeClock();
  const logger = new Warnings();
  let changes = 0;
  const unwatch = watchMountedPath(
    {
      dir,
      pollInterval: POLL,
      clock,
      logger,
      watchDirectory: watch instanceof ScriptedWatch ? watch.watchDirectory : watch,
    },
    () => changes++,
  );
  return { clock, logger, unwatch, changes: () => changes };
}

describe('watchMountedPath on fake time', () => {
  it('checks every pollInterval, however silent the watch is (a volume whose events never come)', async () => {
    const watch = new ScriptedWatch();
    const { clock, changes } = start(watch);
    await clock.advance(POLL - 1);
    expect(changes()).toBe(0);
    await clock.advance(1);
    expect(changes()).toBe(1);
    await clock.advance(2 * POLL);
    expect(changes()).toBe(3);
    expect(watch.starts).toBe(1);
  });

  it(`a burst of events (a kubelet swap) is one check ${WATCH_SETTLE_MS} ms after the first; a later event is another`, async () => {
    const watch = new ScriptedWatch();
    const { clock, changes } = start(watch);
    watch.fire?.();
    watch.fire?.();
    await clock.advance(WATCH_SETTLE_MS - 1);
    watch.fire?.();
    expect(changes()).toBe(0);
    await clock.advance(1);
    expect(changes()).toBe(1);
    watch.fire?.();
    await clock.advance(WATCH_SETTLE_MS);
    expect(changes()).toBe(2);
  });

  it('a watch that breaks is reported once, the poll goes on, and the watch is started again at the next poll', async () => {
    const watch = new ScriptedWatch();
    const { clock, logger, changes } = start(watch);
    watch.break?.('ENOSPC');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(/Watching \/mnt\/secrets for changes failed \(ENOSPC\).*every 30000 ms/);
    watch.failStart = 'ENOSPC';
    await clock.advance(POLL);
    expect(changes()).toBe(1);
    expect(watch.starts).toBe(2);
    watch.failStart = undefined;
    await clock.advance(POLL);
    expect(watch.starts).toBe(3);
    expect(logger.lines).toHaveLength(1);
    watch.fire?.();
    await clock.advance(WATCH_SETTLE_MS);
    expect(changes()).toBe(3);
  });

  it('a watch that cannot start (the directory is gone) falls back to the poll', async () => {
    const watch = new ScriptedWatch();
    watch.failStart = 'ENOENT';
    const { clock, logger, changes } = start(watch);
    expect(logger.lines[0]).toMatch(/\(ENOENT\)/);
    await clock.advance(POLL);
    expect(changes()).toBe(1);
  });

  it('unwatch leaves nothing behind: no timer, the watch closed, and no call after it', async () => {
    const watch = new ScriptedWatch();
    const { clock, unwatch, changes } = start(watch);
    watch.fire?.();
    expect(clock.pending).toBe(2);
    unwatch();
    expect(clock.pending).toBe(0);
    expect(watch.closes).toBe(1);
    watch.fire?.();
    watch.break?.('EIO');
    await clock.advance(10 * POLL);
    expect(changes()).toBe(0);
    expect(clock.pending).toBe(0);
    unwatch();
    expect(watch.closes).toBe(1);
  });
});

describe('watchMountedPath with the real fs.watch', () => {
  let volume: KubeletVolume;
  beforeEach(async () => {
    volume = await KubeletVolume.create();
    await volume.write({ API_KEY: 'v1' });
  });
  afterEach(() => volume.remove());

  it('sees the kubelet swap the ..data link and checks once it settled; unwatch closes the watch', async () => {
    let sawEvent: () => void = () => undefined;
    const firstEvent = new Promise<void>((resolve) => (sawEvent = resolve));
    let closed = 0;
    const recording: WatchDirectory = (dir, onEvent, onError) => {
      const close = watchWithFs(
        dir,
        () => {
          sawEvent();
          onEvent();
        },
        onError,
      );
      return () => {
        closed++;
        close();
      };
    };
    const { clock, unwatch, changes } = start(recording, volume.path);
    await volume.write({ API_KEY: 'v2' });
    await firstEvent;
    await clock.advance(WATCH_SETTLE_MS);
    expect(changes()).toBe(1);
    unwatch();
    expect(closed).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('a directory that does not exist cannot be watched: reported, never thrown', () => {
    const { logger, unwatch } = start(watchWithFs, join(volume.path, 'missing'));
    expect(logger.lines[0]).toMatch(/failed \(ENOENT\)/);
    unwatch();
  });
});
