/**
 * A Secret volume laid out and updated as the kubelet does it (its AtomicWriter): each version in
 * a directory `..<timestamp>`, `..data` a symlink to the current one, each key a symlink
 * `KEY -> ..data/KEY`. An update writes the new version directory, points `..data_tmp` at it,
 * renames that over `..data`, adds links for new keys, removes links of keys gone and the old
 * directory. Synchronous: a simulated kubelet update takes no virtual time.
 */
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The kubelet's version directory name for a virtual instant: `..2026_01_01_00_05_03.123456789`. */
export function versionName(at: number, sequence: number): string {
  const d = new Date(at);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp = `${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}`;
  return `..${stamp}.${p(d.getUTCMilliseconds(), 3)}${p(sequence % 1_000_000, 6)}`;
}

export class KubeletVolume {
  #keys: ReadonlySet<string> = new Set();

  constructor(readonly dir: string) {}

  /** The volume as the pod finds it at start: the Secret's current version. */
  create(files: Readonly<Record<string, string>>, version: string): void {
    mkdirSync(this.dir, { recursive: true });
    this.#writeVersion(files, version);
    symlinkSync(version, join(this.dir, '..data'));
    for (const key of Object.keys(files)) symlinkSync(join('..data', key), join(this.dir, key));
    this.#keys = new Set(Object.keys(files));
  }

  /** One update, in the kubelet's order. */
  update(files: Readonly<Record<string, string>>, version: string): void {
    const old = readlinkSync(join(this.dir, '..data'));
    this.#writeVersion(files, version);
    const tmp = join(this.dir, '..data_tmp');
    symlinkSync(version, tmp);
    renameSync(tmp, join(this.dir, '..data'));
    const keys = new Set(Object.keys(files));
    for (const key of keys) if (!this.#keys.has(key)) symlinkSync(join('..data', key), join(this.dir, key));
    for (const key of this.#keys) if (!keys.has(key)) unlinkSync(join(this.dir, key));
    this.#keys = keys;
    rmSync(join(this.dir, old), { recursive: true, force: true });
  }

  #writeVersion(files: Readonly<Record<string, string>>, version: string): void {
    const path = join(this.dir, version);
    mkdirSync(path);
    for (const [key, value] of Object.entries(files)) writeFileSync(join(path, key), value, { mode: 0o644 });
  }
}
