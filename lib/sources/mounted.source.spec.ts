import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { everythingShown } from '../../test/support/everything-shown.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { KubeletVolume } from '../../test/support/kubelet-volume.js';
import { DopplerError } from '../errors/doppler.errors.js';
import { deadlineSignal } from '../core/clock.js';
import type { SmallFileRead } from '../options/read-small-file.js';
import { renderSecrets } from '../testing/emulator-secrets-format.js';
import { MountedSource } from './mounted.source.js';
import { nodeMountFileSystem, type MountFileSystem } from './mounted/mount-file-system.js';
import { MAX_MOUNTED_ENTRIES, MAX_VERSION_ATTEMPTS } from './mounted/read-mounted-version.js';
import type { LoadedSet, LoadOutcome } from './secrets-source.js';

const CANARY = 'CANARY-mounted-4d1f';
const DEADLINE = 1000;

/** The real file system, with a hook before each file read and a record of every path read. */
class HookedFileSystem implements MountFileSystem {
  readonly reads: string[] = [];
  beforeRead: ((path: string) => Promise<void> | void) | undefined;
  /** Replaces a read outright (a hung volume); undefined falls through to the disk. */
  readInstead: ((path: string) => Promise<SmallFileRead> | undefined) | undefined;

  kindOf = nodeMountFileSystem.kindOf;
  readLink = nodeMountFileSystem.readLink;
  list = nodeMountFileSystem.list;

  async readFile(path: string, maxBytes: number): Promise<SmallFileRead> {
    this.reads.push(path);
    await this.beforeRead?.(path);
    return (await this.readInstead?.(path)) ?? nodeMountFileSystem.readFile(path, maxBytes);
  }
}

const quiet = { warn: () => undefined };

function sourceAt(
  path: string,
  options: { fileSystem?: MountFileSystem; clock?: FakeClock; maxBytes?: number } = {},
): MountedSource {
  return new MountedSource(
    { path, pollInterval: 30_000 },
    { maxBytes: options.maxBytes ?? 1024 * 1024, deadline: DEADLINE },
    options.clock ?? new FakeClock(),
    quiet,
    options.fileSystem ? { fileSystem: options.fileSystem } : {},
  );
}

function load(source: MountedSource, etag?: string, clock = new FakeClock()): Promise<LoadOutcome> {
  return source.load({
    phase: 'refresh',
    signal: deadlineSignal(clock, DEADLINE),
    deadlineAt: clock.now() + DEADLINE,
    ...(etag !== undefined && { etag }),
  });
}

async function loadSet(source: MountedSource, etag?: string): Promise<LoadedSet> {
  const outcome = await load(source, etag);
  if (outcome.kind !== 'set') throw new Error(`expected a set, got ${outcome.kind}`);
  return outcome.set;
}

/** Loads as soon as the previous (hung) read has wound down; it does real I/O on its way out. */
async function loadOnceFree(source: MountedSource): Promise<LoadedSet> {
  for (;;) {
    try {
      return await loadSet(source);
    } catch (error: unknown) {
      if (!(error instanceof DopplerError && /still not returned/.test(error.message))) throw error;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** The typed refusal, checked to show nothing of the canary however it is printed. */
async function refusal(work: Promise<unknown>): Promise<DopplerError> {
  const error = await work.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DopplerError);
  expect(everythingShown(error)).not.toContain(CANARY);
  return error as DopplerError;
}

let volume: KubeletVolume;
let scratch: string;
beforeEach(async () => {
  volume = await KubeletVolume.create();
  scratch = await mkdtemp(join(tmpdir(), 'mounted-plain-'));
});
afterEach(async () => {
  await volume.remove();
  await rm(scratch, { recursive: true, force: true });
});

const PEM = '-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n';

describe('MountedSource: layouts', () => {
  it('a kubelet volume, one file per key: each value exactly the bytes of its file, trailing newline included', async () => {
    const version = await volume.write({
      DOPPLER_PROJECT: 'shop',
      DOPPLER_CONFIG: 'prd',
      API_KEY: `${CANARY}\n`,
      EMPTY: '',
      PEM,
      BOM: '\ufeffbom',
      WIDE: 'üñí 🎉 \r\n',
    });
    const set = await loadSet(sourceAt(volume.path));
    expect(set.origin).toBe('mounted');
    expect(set.etag).toBe(version);
    expect(Object.entries(set.raw)).toEqual([
      ['API_KEY', `${CANARY}\n`],
      ['BOM', '\ufeffbom'],
      ['DOPPLER_CONFIG', 'prd'],
      ['DOPPLER_PROJECT', 'shop'],
      ['EMPTY', ''],
      ['PEM', PEM],
      ['WIDE', 'üñí 🎉 \r\n'],
    ]);
  });

  it('a DopplerSecret with format json: DOPPLER_SECRETS_FILE holds the whole set', async () => {
    const body = JSON.stringify({ DOPPLER_PROJECT: 'shop', API_KEY: CANARY, PEM });
    await volume.write({ DOPPLER_SECRETS_FILE: body });
    expect({ ...(await loadSet(sourceAt(volume.path))).raw }).toEqual({
      DOPPLER_PROJECT: 'shop',
      API_KEY: CANARY,
      PEM,
    });
  });

  it('a DopplerSecret with format env: DOPPLER_SECRETS_FILE as Doppler renders it', async () => {
    const entries = [
      ['API_KEY', CANARY],
      ['PEM', PEM],
      ['QUOTED', 'say "hi" \\ $HOME'],
    ] as const;
    await volume.write({ DOPPLER_SECRETS_FILE: renderSecrets(entries, 'env') });
    expect({ ...(await loadSet(sourceAt(volume.path))).raw }).toEqual(Object.fromEntries(entries));
  });

  it('a plain directory (Docker secrets, a CSI driver): files as they are, dotfiles not read, a keyed digest as etag', async () => {
    await writeFile(join(scratch, 'API_KEY'), `${CANARY}\n`);
    await writeFile(join(scratch, 'DB_URL'), 'postgres://db/app');
    await writeFile(join(scratch, '.hidden'), 'not a secret');
    await mkdir(join(scratch, '.cache'));
    const source = sourceAt(scratch);
    const set = await loadSet(source);
    expect({ ...set.raw }).toEqual({ API_KEY: `${CANARY}\n`, DB_URL: 'postgres://db/app' });
    expect(set.etag).toMatch(/^digest:[0-9a-f]{32}$/);
    // Keyed per source: the same files never give a digest a guess could be checked against.
    expect((await loadSet(sourceAt(scratch))).etag).not.toBe(set.etag);

    expect(await load(source, set.etag)).toEqual({ kind: 'not-modified', etag: set.etag });
    await writeFile(join(scratch, 'DB_URL'), 'postgres://db/app2');
    const changed = await loadSet(source, set.etag);
    expect(changed.etag).not.toBe(set.etag);
    expect(changed.raw['DB_URL']).toBe('postgres://db/app2');
  });

  it('a path naming one file: the whole set, in json or env format', async () => {
    const json = join(scratch, 'secrets.json');
    await writeFile(json, `${JSON.stringify({ API_KEY: CANARY })}\n`);
    expect({ ...(await loadSet(sourceAt(json))).raw }).toEqual({ API_KEY: CANARY });
    const env = join(scratch, 'secrets.env');
    await writeFile(env, `# synced\nexport API_KEY="${CANARY}"\nPOOL=5\n`);
    expect({ ...(await loadSet(sourceAt(env))).raw }).toEqual({ API_KEY: CANARY, POOL: '5' });
  });

  it('an unchanged kubelet volume is not-modified from the version name alone: no file is read', async () => {
    const version = await volume.write({ API_KEY: CANARY });
    const fileSystem = new HookedFileSystem();
    const source = sourceAt(volume.path, { fileSystem });
    expect(await load(source, version)).toEqual({ kind: 'not-modified', etag: version });
    expect(fileSystem.reads).toEqual([]);

    const next = await volume.write({ API_KEY: `${CANARY}-2`, ADDED: 'x' });
    const set = await loadSet(source, version);
    expect(set.etag).toBe(next);
    expect({ ...set.raw }).toEqual({ ADDED: 'x', API_KEY: `${CANARY}-2` });
    expect(fileSystem.reads.every((path) => path.startsWith(join(volume.path, next)))).toBe(true);
  });
});

describe('MountedSource: what it refuses, with a typed error naming the path, never a value', () => {
  it('a missing path', async () => {
    const error = await refusal(load(sourceAt(join(scratch, 'nope'))));
    expect(error).toBeInstanceOf(DopplerError);
    expect(error).toMatchObject({ code: 'DOPPLER_UNREACHABLE', reason: 'MOUNT_MISSING', retryable: false });
    expect(error.message).toContain(join(scratch, 'nope'));
  });

  it('a path that is a FIFO, without opening it', async () => {
    const fifo = join(scratch, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await refusal(load(sourceAt(fifo)))).toMatchObject({ reason: 'MOUNT_NOT_A_DIRECTORY' });
  });

  it.each<[string, (dir: string) => Promise<void>, string, RegExp]>([
    [
      'a subdirectory (items with a nested path)',
      (dir) => mkdir(join(dir, 'nested')),
      'MOUNT_SUBDIRECTORY',
      /subdirectory, "nested"/,
    ],
    [
      'a file whose name is not a secret name',
      (dir) => writeFile(join(dir, '1 bad name'), CANARY),
      'MOUNT_BAD_NAME',
      /a file whose name is not a secret name \(not shown/,
    ],
    [
      'a FIFO among the keys (opened non-blocking, never waited on)',
      (dir) => Promise.resolve(void execFileSync('mkfifo', [join(dir, 'PIPE')])),
      'MOUNT_NOT_A_FILE',
      /"PIPE" in .* is not a regular file/,
    ],
    [
      'a link to a directory',
      (dir) => symlink('/', join(dir, 'ROOT')),
      'MOUNT_NOT_A_FILE',
      /"ROOT" .* not a regular file/,
    ],
    [
      'a value that is not UTF-8',
      (dir) => writeFile(join(dir, 'BINARY'), Buffer.from([0x43, 0x41, 0xff, 0xfe, 0x00])),
      'MOUNT_NOT_UTF8',
      /"BINARY" in .* is not UTF-8 text \(5 bytes\)/,
    ],
    [
      'DOPPLER_SECRETS_FILE beside other keys',
      (dir) => writeFile(join(dir, 'DOPPLER_SECRETS_FILE'), `{"A":"${CANARY}"}`),
      'MOUNT_AMBIGUOUS',
      /DOPPLER_SECRETS_FILE beside 1 other key/,
    ],
  ])('%s', async (_label, arrange, reason, message) => {
    await writeFile(join(scratch, 'API_KEY'), CANARY);
    await arrange(scratch);
    const error = await refusal(load(sourceAt(scratch)));
    expect(error).toMatchObject({ reason });
    expect(error.message).toMatch(message);
  });

  it.each<[string, string, string, RegExp]>([
    ['not JSON', `{"API_KEY": "${CANARY}"`, 'MOUNT_BAD_JSON', /is not valid JSON/],
    ['a JSON array', `[" ${CANARY}"]`, 'MOUNT_BAD_JSON', /is an array, not an object/],
    [
      'format dotnet-json (nested)',
      `{"Db": {"Url": "${CANARY}"}}`,
      'MOUNT_BAD_JSON',
      /an object for "Db".*dotnet-json/,
    ],
    ['a JSON name that is not a secret name', `{"a b": "${CANARY}"}`, 'MOUNT_BAD_JSON', /not a secret name/],
    ['format yaml', `API_KEY: ${CANARY}\n`, 'MOUNT_BAD_ENV', /line 1: a line that is not NAME=value/],
    [
      'an env line it cannot read unambiguously',
      `A=1\nB="${CANARY}\\q"\n`,
      'MOUNT_BAD_ENV',
      /line 2: a backslash escape/,
    ],
  ])('DOPPLER_SECRETS_FILE: %s', async (_label, body, reason, message) => {
    await volume.write({ DOPPLER_SECRETS_FILE: body });
    const error = await refusal(load(sourceAt(volume.path)));
    expect(error).toMatchObject({ code: 'DOPPLER_MALFORMED_RESPONSE', reason });
    expect(error.message).toMatch(message);
    expect(error.message).toContain('DOPPLER_SECRETS_FILE');
  });

  it('a ..data that is not a symlink, or that points outside the mount', async () => {
    await mkdir(join(scratch, '..data'));
    expect(await refusal(load(sourceAt(scratch)))).toMatchObject({ reason: 'MOUNT_LAYOUT' });
    await rm(join(scratch, '..data'), { recursive: true });
    await symlink('/etc', join(scratch, '..data'));
    const error = await refusal(load(sourceAt(scratch)));
    expect(error).toMatchObject({ reason: 'MOUNT_LAYOUT' });
    expect(error.message).toMatch(/not point at a version directory beside it/);
  });

  it('a set larger than maxResponseBytes: one file, or all of them together; exactly the cap passes', async () => {
    await writeFile(join(scratch, 'A'), 'x'.repeat(60));
    expect({ ...(await loadSet(sourceAt(scratch, { maxBytes: 60 }))).raw }).toEqual({ A: 'x'.repeat(60) });
    const one = await refusal(load(sourceAt(scratch, { maxBytes: 59 })));
    expect(one).toMatchObject({ code: 'DOPPLER_RESPONSE_TOO_LARGE', reason: 'MOUNT_TOO_LARGE' });
    expect(one.message).toMatch(/larger than maxResponseBytes \(59 bytes\) once "A" is counted/);
    await writeFile(join(scratch, 'B'), 'y'.repeat(40));
    const total = await refusal(load(sourceAt(scratch, { maxBytes: 99 })));
    expect(total.message).toMatch(/once "B" is counted/);
  });

  it(`a directory of more than ${MAX_MOUNTED_ENTRIES} entries is not listed to the end`, async () => {
    // The listing itself stops at the cap (shown on a small cap: 10,000 files take seconds on a
    // slow disk), and the source asks for exactly the documented cap and refuses past it.
    for (const name of ['.a', '.b', 'C', 'D']) await writeFile(join(scratch, name), '');
    expect(await nodeMountFileSystem.list(scratch, 3)).toEqual({ ok: false, problem: 'too-many' });
    expect(await nodeMountFileSystem.list(scratch, 4)).toMatchObject({ ok: true });
    const caps: number[] = [];
    const fileSystem = new HookedFileSystem();
    fileSystem.list = (dir, maxEntries) => (caps.push(maxEntries), nodeMountFileSystem.list(dir, 3));
    expect(await refusal(load(sourceAt(scratch, { fileSystem })))).toMatchObject({
      code: 'DOPPLER_RESPONSE_TOO_LARGE',
      reason: 'MOUNT_TOO_LARGE',
    });
    expect(caps).toEqual([MAX_MOUNTED_ENTRIES]);
  });

  it.skipIf(process.getuid?.() === 0)('a file the process may not read', async () => {
    await writeFile(join(scratch, 'API_KEY'), CANARY, { mode: 0o000 });
    const error = await refusal(load(sourceAt(scratch)));
    expect(error).toMatchObject({ reason: 'MOUNT_UNREADABLE' });
    expect(error.message).toContain('EACCES');
  });
});

describe('MountedSource: one version, whatever the kubelet does during the read', () => {
  const V1 = { A: 'v1-a', B: 'v1-b', C: 'v1-c' };
  const V2 = { A: 'v2-a', B: 'v2-b', C: 'v2-c' };

  it('a whole swap (old directory removed) between reading two files: the new version, whole', async () => {
    const v1 = await volume.write(V1);
    const fileSystem = new HookedFileSystem();
    let swapped = false;
    fileSystem.beforeRead = async (path) => {
      if (!swapped && path.endsWith(join(v1, 'B'))) {
        swapped = true;
        await volume.write(V2);
      }
    };
    const set = await loadSet(sourceAt(volume.path, { fileSystem }));
    expect({ ...set.raw }).toEqual(V2);
    expect(set.etag).toBe(volume.version);
    expect(fileSystem.reads.filter((p) => p.includes(v1))).toHaveLength(2);
  });

  it('a swap that has not removed the old directory yet: noticed by reading ..data again, and read anew', async () => {
    const v1 = await volume.write(V1);
    const fileSystem = new HookedFileSystem();
    let swapped = false;
    fileSystem.beforeRead = async (path) => {
      if (!swapped && path.endsWith(join(v1, 'C'))) {
        swapped = true;
        await (await volume.prepare(V2)).swap();
      }
    };
    const set = await loadSet(sourceAt(volume.path, { fileSystem }));
    expect({ ...set.raw }).toEqual(V2);
  });

  it('a swap at any point of the read: the reader sees one version, never a mix', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 6 }), fc.boolean(), async (swapAt, removeOld) => {
        const disk = await KubeletVolume.create();
        try {
          await disk.write(V1);
          const fileSystem = new HookedFileSystem();
          fileSystem.beforeRead = async () => {
            if (fileSystem.reads.length - 1 !== swapAt) return;
            const next = await disk.prepare(V2);
            await next.swap();
            if (removeOld) await next.finish();
          };
          const raw = { ...(await loadSet(sourceAt(disk.path, { fileSystem }))).raw };
          expect([V1, V2]).toContainEqual(raw);
          // A swap while the files were being read always ends with the new version.
          if (swapAt < 3) expect(raw).toEqual(V2);
        } finally {
          await disk.remove();
        }
      }),
      { numRuns: 30 },
    );
  });

  it(`a volume swapped during every read fails after ${MAX_VERSION_ATTEMPTS} attempts, as retryable`, async () => {
    await volume.write(V1);
    const fileSystem = new HookedFileSystem();
    let round = 0;
    fileSystem.beforeRead = async (path) => {
      if (path.endsWith('A')) await volume.write(round++ % 2 === 0 ? V2 : V1);
    };
    const error = await refusal(load(sourceAt(volume.path, { fileSystem })));
    expect(error).toMatchObject({
      code: 'DOPPLER_UNREACHABLE',
      reason: 'MOUNT_VERSION_CHURN',
      retryable: true,
    });
    expect(round).toBe(MAX_VERSION_ATTEMPTS);
  });
});

describe('MountedSource: every read ends by the deadline', () => {
  it('a read that never returns: DOPPLER_TIMEOUT at the deadline; no second read is stacked on it', async () => {
    await volume.write({ A: CANARY, B: 'b' });
    const clock = new FakeClock();
    const fileSystem = new HookedFileSystem();
    let release: (() => void) | undefined;
    let hung: () => void = () => undefined;
    const readHangs = new Promise<void>((resolve) => (hung = resolve));
    fileSystem.readInstead = (path) => {
      if (!path.endsWith('B')) return undefined;
      hung();
      return new Promise<SmallFileRead>((resolve) => {
        release = () => resolve({ ok: false, problem: 'missing' });
      });
    };
    const source = sourceAt(volume.path, { fileSystem, clock });
    const first = refusal(load(source, undefined, clock));
    await readHangs;
    await clock.advance(DEADLINE);
    const stalled = await first;
    expect(stalled).toMatchObject({ code: 'DOPPLER_TIMEOUT', reason: 'MOUNT_STALLED', retryable: true });
    expect(stalled.message).toMatch(/did not finish within the 1000 ms deadline/);

    const readsBefore = fileSystem.reads.length;
    const second = await refusal(load(source, undefined, clock));
    expect(second.message).toMatch(/previous read .* has still not returned/);
    expect(fileSystem.reads).toHaveLength(readsBefore);

    // Once the hung read returns (its outcome dropped), the volume is read again.
    fileSystem.readInstead = undefined;
    release?.();
    expect({ ...(await loadOnceFree(source)).raw }).toEqual({ A: CANARY, B: 'b' });
  });
});

describe('MountedSource: the operator renders any set, it reads back exactly', () => {
  it('DOPPLER_SECRETS_FILE in env and json format, on disk', async () => {
    const value = fc.string({
      unit: fc.oneof(
        fc.constantFrom('"', '\\', '\n', '\r', '#', "'", '$'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      ),
    });
    const entries = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,15}$/), value), {
      selector: ([name]) => name,
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(entries, fc.constantFrom('env', 'json'), async (set, format) => {
        await volume.write({ DOPPLER_SECRETS_FILE: renderSecrets(set, format) });
        expect({ ...(await loadSet(sourceAt(volume.path))).raw }).toEqual(Object.fromEntries(set));
      }),
      { numRuns: 40 },
    );
  });
});
