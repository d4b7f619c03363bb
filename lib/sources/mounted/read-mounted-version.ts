import { basename, join } from 'node:path';
import { printable } from '../../core/printable.js';
import type { DopplerError } from '../../errors/doppler.errors.js';
import type { MountFileSystem } from './mount-file-system.js';
import { mountError } from './mounted.errors.js';
import { quotedName, SECRET_NAME_SHAPE } from './secret-name.js';

/** Entries listed from one directory at most (hidden ones included): no set of secrets is near it. */
export const MAX_MOUNTED_ENTRIES = 10_000;

/** Reads of one volume per load: a swap during a read costs one more, a volume that never settles fails. */
export const MAX_VERSION_ATTEMPTS = 5;

/** The kubelet's version directories: `..2026_12_02_03_00_00.123456789`, beside `..data`. */
const VERSION_NAME = /^\.\.[A-Za-z0-9_.-]{1,200}$/;

/** One version of the mounted files, read whole. */
export interface MountedVersion {
  /**
   * - `kubelet`: a Secret volume; the files come from the one version directory `..data` named;
   * - `directory`: a plain directory of files (Docker secrets, a CSI driver without versions);
   * - `file`: `path` is a file holding the whole set.
   */
  readonly layout: 'kubelet' | 'directory' | 'file';
  /** For `kubelet`: the version directory's name, stable for as long as the kubelet serves it. */
  readonly version?: string;
  /** Bytes by file name, in name order; for `file`, its one entry is named after the file. */
  readonly files: ReadonlyMap<string, Buffer>;
}

/** A version read, or word that `..data` still names the version already held. */
export type VersionRead =
  | { readonly kind: 'read'; readonly read: MountedVersion }
  | { readonly kind: 'current'; readonly version: string };

export interface ReadLimits {
  /** Bytes of all files together; one file is refused once the total would pass it. */
  readonly maxBytes: number;
  readonly signal: AbortSignal;
  /** The error to stop with once `signal` has aborted (the caller has given up already). */
  readonly stalled: () => DopplerError;
  /** The kubelet version held now: while `..data` names it, no file is read. */
  readonly knownVersion?: string;
}

/**
 * Reads one consistent version of the secrets mounted at `path`. In a kubelet volume, `..data`
 * is read once (one readlink: the version directory's name) and every file is read from that
 * directory, never through `..data` or the per-key symlinks, so no file of another version can
 * slip in. A swap during the read is noticed by reading `..data` again at the end: if it moved,
 * the kubelet may already be deleting the directory read from, so what was read is dropped and
 * the new version read, at most {@link MAX_VERSION_ATTEMPTS} times in all.
 *
 * @throws {DopplerError} naming the path and what is wrong with it, never a file's contents.
 */
export async function readMountedVersion(
  fileSystem: MountFileSystem,
  path: string,
  limits: ReadLimits,
): Promise<VersionRead> {
  for (let attempt = 1; attempt <= MAX_VERSION_ATTEMPTS; attempt++) {
    if (limits.signal.aborted) throw limits.stalled();
    const outcome = await readOnce(fileSystem, path, limits);
    if (outcome !== 'retry') return outcome;
  }
  throw mountError(
    'MOUNT_VERSION_CHURN',
    `The mounted secrets at ${printable(path)} changed during each of ${MAX_VERSION_ATTEMPTS} reads (every ..data swap replaces the version directory), so no one version could be read whole. ` +
      'The next check reads again; if it persists, something other than the kubelet rewrites the volume.',
  );
}

/** `retry` when the volume changed under the read (a swap, a file removed between list and open). */
type Attempt = VersionRead | 'retry';

async function readOnce(fileSystem: MountFileSystem, path: string, limits: ReadLimits): Promise<Attempt> {
  const found = await fileSystem.kindOf(path);
  switch (found.kind) {
    case 'missing':
      throw mountError(
        'MOUNT_MISSING',
        `The mounted secrets path ${printable(path)} does not exist. Check the mounted.path option against the container's volumeMounts[].mountPath, and that the volume names the operator's Secret.`,
      );
    case 'unreadable':
      throw unreadable(path, found.code);
    case 'other':
      throw mountError(
        'MOUNT_NOT_A_DIRECTORY',
        `The mounted secrets path ${printable(path)} is neither a directory nor a regular file (a FIFO, socket or device); point mounted.path at the volume's mountPath, or at a file holding the whole set.`,
      );
    case 'file':
      return readWholeFile(fileSystem, path, limits);
    case 'directory':
      return readDirectory(fileSystem, path, limits);
  }
}

async function readWholeFile(
  fileSystem: MountFileSystem,
  path: string,
  limits: ReadLimits,
): Promise<Attempt> {
  const read = await fileSystem.readFile(path, limits.maxBytes);
  if (read.ok)
    return { kind: 'read', read: { layout: 'file', files: new Map([[basename(path), read.data]]) } };
  switch (read.problem) {
    case 'missing':
      return 'retry';
    case 'not-a-file':
      return 'retry';
    case 'too-large':
      throw tooLarge(path, limits.maxBytes);
    case 'unreadable':
      throw unreadable(path, read.code);
  }
}

async function readDirectory(
  fileSystem: MountFileSystem,
  path: string,
  limits: ReadLimits,
): Promise<Attempt> {
  const dataLink = join(path, '..data');
  const link = await fileSystem.readLink(dataLink);
  if (link.kind === 'unreadable') throw unreadable(dataLink, link.code);
  if (link.kind === 'not-a-link') {
    throw mountError(
      'MOUNT_LAYOUT',
      `${printable(path)} holds a ..data entry that is not a symlink, so it is not a kubelet volume, and read as a plain directory it could mix two versions. Point mounted.path at the volume's mountPath.`,
    );
  }
  if (link.kind === 'missing') {
    const files = await readFlatDirectory(fileSystem, path, path, limits);
    return files === 'vanished' ? 'retry' : { kind: 'read', read: { layout: 'directory', files } };
  }
  const version = link.target;
  if (!VERSION_NAME.test(version)) {
    throw mountError(
      'MOUNT_LAYOUT',
      `${printable(path)}/..data does not point at a version directory beside it (the kubelet's ..<timestamp>), so the volume is not laid out as the kubelet writes it.`,
    );
  }
  if (version === limits.knownVersion) return { kind: 'current', version };
  const files = await readFlatDirectory(fileSystem, join(path, version), path, limits);
  const after = await fileSystem.readLink(dataLink);
  if (after.kind !== 'link' || after.target !== version) return 'retry';
  if (files === 'vanished') {
    throw mountError(
      'MOUNT_LAYOUT',
      `${printable(path)}/..data names a version directory that is missing or lost a file while still current; the kubelet never does that. Check what else writes to the volume.`,
    );
  }
  return { kind: 'read', read: { layout: 'kubelet', version, files } };
}

/**
 * The files of one directory, or `vanished` when it (or one of its files) disappeared during
 * the read. Names starting with `.` are the volume's own (`..data`, versions, `..data_tmp`) or
 * dotfiles, never secret names, and are not read; anything else must be a regular file with a
 * secret name, or the whole directory is refused before a file is read.
 */
async function readFlatDirectory(
  fileSystem: MountFileSystem,
  dir: string,
  mountPath: string,
  limits: ReadLimits,
): Promise<Map<string, Buffer> | 'vanished'> {
  const listing = await fileSystem.list(dir, MAX_MOUNTED_ENTRIES);
  if (!listing.ok) {
    if (listing.problem === 'missing') return 'vanished';
    if (listing.problem === 'unreadable') throw unreadable(dir, listing.code);
    throw mountError(
      'MOUNT_TOO_LARGE',
      `${printable(mountPath)} holds more than ${MAX_MOUNTED_ENTRIES} entries; no set of secrets is that large. Point mounted.path at the Secret volume's mountPath.`,
    );
  }
  const visible = listing.entries
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of visible) {
    if (entry.kind === 'directory') {
      throw mountError(
        'MOUNT_SUBDIRECTORY',
        `${printable(mountPath)} holds a subdirectory, ${quotedName(entry.name)}; nested files are not read (a volume's items with a path containing "/" make them). Mount the keys flat.`,
      );
    }
    if (!SECRET_NAME_SHAPE.test(entry.name)) {
      throw mountError(
        'MOUNT_BAD_NAME',
        `${printable(mountPath)} holds a file whose name is not a secret name (not shown: it could be anything). ` +
          'A name is a letter or _, then letters, digits, _, . or -, at most 256 characters. Rename the key, or leave it out with the volume’s items.',
      );
    }
  }
  const files = new Map<string, Buffer>();
  let total = 0;
  for (const entry of visible) {
    if (limits.signal.aborted) throw limits.stalled();
    const read = await fileSystem.readFile(join(dir, entry.name), limits.maxBytes - total);
    if (!read.ok) {
      switch (read.problem) {
        case 'missing':
          return 'vanished';
        case 'not-a-file':
          throw mountError(
            'MOUNT_NOT_A_FILE',
            `${quotedName(entry.name)} in ${printable(mountPath)} is not a regular file (a FIFO, socket, device or a link to a directory), so it was not read.`,
          );
        case 'too-large':
          throw tooLarge(mountPath, limits.maxBytes, entry.name);
        case 'unreadable':
          throw unreadable(join(mountPath, entry.name), read.code);
      }
    }
    total += read.data.length;
    files.set(entry.name, read.data);
  }
  return files;
}

function unreadable(path: string, code: string | undefined): DopplerError {
  return mountError(
    'MOUNT_UNREADABLE',
    `${printable(path)} could not be read (${code ?? 'an I/O error'}). Check the volume's defaultMode and the container's user (runAsUser, fsGroup).`,
  );
}

function tooLarge(mountPath: string, maxBytes: number, name?: string): DopplerError {
  return mountError(
    'MOUNT_TOO_LARGE',
    `The mounted secrets at ${printable(mountPath)} are larger than maxResponseBytes (${maxBytes} bytes)` +
      (name !== undefined ? ` once ${quotedName(name)} is counted` : '') +
      '. A Kubernetes Secret holds at most 1 MiB; raise maxResponseBytes if the set really is larger.',
  );
}
