import { mkdir, mkdtemp, readlink, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A file's contents as a test gives them: text is written as UTF-8, a Buffer as it is. */
export type VolumeFiles = Readonly<Record<string, string | Buffer>>;

/** One update, step by step, for tests that act between the steps. */
export interface PreparedVersion {
  /** The new version directory's name, e.g. `..2026_12_02_03_00_01.000000001`. */
  readonly version: string;
  /** Points `..data_tmp` at the new directory and renames it over `..data`: the atomic switch. */
  swap(): Promise<void>;
  /** Adds the per-key symlinks of new keys, removes those of dropped keys, removes the old directory. */
  finish(): Promise<void>;
}

/**
 * A Kubernetes Secret volume on a real disk, laid out and updated the way the kubelet's
 * AtomicWriter does it: each key is a symlink `KEY -> ..data/KEY`, `..data` is a symlink to a
 * timestamped directory holding the files, and an update writes a new directory, points
 * `..data_tmp` at it, renames that over `..data`, fixes the per-key symlinks, then removes the old
 * directory.
 */
export class KubeletVolume {
  #sequence = 0;
  #version: string | undefined;
  #keys = new Set<string>();

  private constructor(readonly path: string) {}

  /** An empty mount directory in a new temp directory (remove it with {@link remove}). */
  static async create(prefix = 'kubelet-volume-'): Promise<KubeletVolume> {
    const root = await mkdtemp(join(tmpdir(), prefix));
    const path = join(root, 'secrets');
    await mkdir(path);
    return new KubeletVolume(path);
  }

  /** The version `..data` names now. */
  get version(): string | undefined {
    return this.#version;
  }

  /** Writes `files` as the new version, whole: what the kubelet does on every Secret update. */
  async write(files: VolumeFiles): Promise<string> {
    const next = await this.prepare(files);
    await next.swap();
    await next.finish();
    return next.version;
  }

  /** Writes the new version directory only; the test runs the swap and the clean-up when it wants. */
  async prepare(files: VolumeFiles): Promise<PreparedVersion> {
    const version = this.nextVersionName();
    const dir = join(this.path, version);
    await mkdir(dir);
    for (const [name, contents] of Object.entries(files)) {
      await writeFile(join(dir, name), contents, { mode: 0o644 });
    }
    const previous = this.#version;
    const keys = new Set(Object.keys(files));
    return {
      version,
      swap: async () => {
        const tmp = join(this.path, '..data_tmp');
        await symlink(version, tmp);
        await rename(tmp, join(this.path, '..data'));
        this.#version = version;
      },
      finish: async () => {
        for (const key of keys) {
          if (!this.#keys.has(key)) await symlink(join('..data', key), join(this.path, key));
        }
        for (const key of this.#keys) if (!keys.has(key)) await unlink(join(this.path, key));
        this.#keys = keys;
        if (previous !== undefined) await rm(join(this.path, previous), { recursive: true, force: true });
      },
    };
  }

  /** What `..data` points at on disk (to check the helper itself). */
  dataTarget(): Promise<string> {
    return readlink(join(this.path, '..data'));
  }

  /** Removes the volume and its temp directory. */
  async remove(): Promise<void> {
    await rm(join(this.path, '..'), { recursive: true, force: true });
  }

  private nextVersionName(): string {
    const at = new Date(Date.UTC(2026, 11, 2, 3, 0, 0) + 1000 * this.#sequence++);
    const two = (n: number): string => String(n).padStart(2, '0');
    const stamp = `${at.getUTCFullYear()}_${two(at.getUTCMonth() + 1)}_${two(at.getUTCDate())}_${two(at.getUTCHours())}_${two(at.getUTCMinutes())}_${two(at.getUTCSeconds())}`;
    return `..${stamp}.${String(123456789 + this.#sequence).padStart(9, '0')}`;
  }
}
