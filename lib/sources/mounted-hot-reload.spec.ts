import { Type } from 'class-transformer';
import { IsInt, IsString, MinLength } from 'class-validator';
import { firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { KubeletVolume } from '../../test/support/kubelet-volume.js';
import { waitFor } from '../../test/support/wait-for.js';
import { bootstrapSecrets, type Bootstrapped } from '../load-doppler-secrets.js';
import type { SmallFileRead } from '../options/read-small-file.js';
import { nodeMountFileSystem, type MountFileSystem } from './mounted/mount-file-system.js';
import { WATCH_SETTLE_MS, type WatchDirectory } from './mounted/watch-mounted-path.js';

const CANARY = 'CANARY-hot-reload-93be';
const POLL = 30_000;
const DEADLINE = 5_000;

class Secrets {
  @IsString()
  @MinLength(8)
  API_KEY!: string;

  @Type(() => Number)
  @IsInt()
  POOL!: number;
}

const V1 = { DOPPLER_PROJECT: 'shop', DOPPLER_CONFIG: 'prd', API_KEY: `${CANARY}-v1`, POOL: '5' };

/** A watch whose events the test fires by hand, or never (a volume type that sends none). */
class ScriptedWatch {
  fire: () => void = () => undefined;
  closes = 0;
  readonly watchDirectory: WatchDirectory = (_dir, onEvent) => {
    this.fire = onEvent;
    return () => void this.closes++;
  };
}

/** The real file system, counting file reads, with a switch to hang them (a stuck volume). */
class CountingFileSystem implements MountFileSystem {
  reads = 0;
  hang = false;
  kindOf = nodeMountFileSystem.kindOf;
  readLink = nodeMountFileSystem.readLink;
  list = nodeMountFileSystem.list;
  readFile(path: string, maxBytes: number): Promise<SmallFileRead> {
    this.reads++;
    return this.hang ? new Promise(() => undefined) : nodeMountFileSystem.readFile(path, maxBytes);
  }
}

class RecordingLogger {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(`log ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
}

let volume: KubeletVolume;
let clock: FakeClock;
let logger: RecordingLogger;
let watch: ScriptedWatch;
let fileSystem: CountingFileSystem;
let booted: Bootstrapped<Secrets>;

beforeEach(async () => {
  volume = await KubeletVolume.create();
  await volume.write(V1);
  clock = new FakeClock();
  logger = new RecordingLogger();
  watch = new ScriptedWatch();
  fileSystem = new CountingFileSystem();
  booted = await bootstrapSecrets<Secrets>(
    { mounted: { path: volume.path, pollInterval: POLL }, schema: Secrets, deadline: DEADLINE },
    {
      clock,
      logger: logger as never,
      mounted: { fileSystem, watchDirectory: watch.watchDirectory },
    },
  );
  booted.refresher?.start();
});
afterEach(async () => {
  await booted.service.close();
  await volume.remove();
});

describe('a mounted volume, hot-reloaded on fake time', () => {
  it('boots from the volume: a refresher is made, metadata and status as for the API', () => {
    const { service, refresher } = booted;
    expect(refresher).toBeDefined();
    expect(service.metadata).toMatchObject({
      source: 'mounted',
      project: 'shop',
      config: 'prd',
      etag: volume.version,
    });
    expect(service.status).toMatchObject({ version: 1, stale: false, consecutiveFailures: 0 });
    expect(service.status.lastSuccessAt).toEqual(service.metadata.fetchedAt);
    expect(service.status.channel?.kind).toBe('volume');
    expect(service.status.stream).toBeUndefined();
    expect(logger.lines[0]).toMatch(
      /^log Loaded 2 secrets from the volume mounted at .* \(project "shop", config "prd"\)/,
    );
  });

  it('a missed watch event is caught by the poll: the new set validated whole, swapped in, and announced', async () => {
    const { service } = booted;
    const changed = firstValueFrom(service.changes);
    const v2 = await volume.write({ ...V1, API_KEY: `${CANARY}-v2`, ADDED: 'x' });
    await clock.advance(POLL - 1);
    expect(service.get('API_KEY').reveal()).toBe(`${CANARY}-v1`);
    await clock.advance(1);
    expect(await changed).toMatchObject({ changed: ['API_KEY'], added: [], version: 2, etag: v2 });
    expect(service.get('API_KEY').reveal()).toBe(`${CANARY}-v2`);
    expect(service.metadata.etag).toBe(v2);
    expect(logger.lines.join('\n')).not.toContain(CANARY);
  });

  it('a watch event: the swap is served once it settled, before any poll', async () => {
    const { service } = booted;
    const changed = firstValueFrom(service.changes);
    await volume.write({ ...V1, POOL: '6' });
    watch.fire();
    await clock.advance(WATCH_SETTLE_MS);
    expect(await changed).toMatchObject({ changed: ['POOL'], version: 2 });
    expect(service.get('POOL').reveal()).toBe(6);
  });

  it('an invalid new set keeps the old one whole, records the failure, announces nothing; a fixed set is then taken', async () => {
    const { service } = booted;
    let announced = 0;
    service.changes.subscribe(() => announced++);
    await volume.write({ ...V1, API_KEY: `${CANARY}-v2`, POOL: 'many' });
    await clock.advance(POLL);
    await waitFor('a refused refresh', () => service.status.consecutiveFailures === 1);
    expect(service.status).toMatchObject({
      version: 1,
      stale: true,
      lastFailureCode: 'DOPPLER_SECRETS_INVALID',
    });
    expect(service.get('API_KEY').reveal()).toBe(`${CANARY}-v1`);
    expect(service.get('POOL').reveal()).toBe(5);
    expect(announced).toBe(0);
    expect(
      logger.lines.some((line) =>
        /^warn Refreshing secrets failed; the current set is kept.*POOL/.test(line),
      ),
    ).toBe(true);

    await volume.write({ ...V1, API_KEY: `${CANARY}-v3` });
    await clock.advance(POLL);
    await waitFor('the fixed set', () => service.status.version === 2);
    expect(service.get('API_KEY').reveal()).toBe(`${CANARY}-v3`);
    expect(service.status).toMatchObject({ stale: false, consecutiveFailures: 0 });
    expect(logger.lines.join('\n')).not.toContain(CANARY);
  });

  it('an unchanged volume costs one readlink per check: no file read, no new version, and the status confirms the set', async () => {
    const { service } = booted;
    const readsAtBoot = fileSystem.reads;
    await clock.advance(POLL);
    await waitFor('a confirmed set', () => service.status.lastSuccessAt?.getTime() === clock.now());
    await clock.advance(POLL);
    await waitFor('a second confirmation', () => service.status.lastSuccessAt?.getTime() === clock.now());
    expect(fileSystem.reads).toBe(readsAtBoot);
    expect(service.status).toMatchObject({ version: 1, stale: false, ageMs: 0 });
  });

  it('a hung volume: the check fails by its deadline as DOPPLER_TIMEOUT, the set is kept, and stuck reads do not pile up', async () => {
    const { service } = booted;
    fileSystem.hang = true;
    await volume.write({ ...V1, POOL: '7' });
    await clock.advance(POLL);
    await waitFor('a file read', () => fileSystem.reads > 4);
    await clock.advance(DEADLINE);
    await waitFor('a timed-out check', () => service.status.consecutiveFailures === 1);
    expect(service.status.lastFailureCode).toBe('DOPPLER_TIMEOUT');
    const reads = fileSystem.reads;
    await clock.advance(POLL);
    await waitFor('a second failure', () => service.status.consecutiveFailures === 2);
    expect(fileSystem.reads).toBe(reads);
    expect(service.get('POOL').reveal()).toBe(5);
  });

  it('close() stops the watch and the poll: no timer is left', async () => {
    await booted.service.close();
    expect(watch.closes).toBe(1);
    // The bootstrap's deadline timer was dropped when the bootstrap ended.
    expect(clock.pending).toBe(0);
    await clock.advance(DEADLINE);
    expect(clock.pending).toBe(0);
    watch.fire();
    await clock.advance(10 * POLL);
    expect(clock.pending).toBe(0);
  });
});
