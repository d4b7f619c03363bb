import type { Dirent } from 'node:fs';
import { opendir, readlink, stat } from 'node:fs/promises';
import { readSmallFile, type SmallFileRead } from '../../options/read-small-file.js';

/** What a path is, following symlinks. */
export type PathKind =
  | { readonly kind: 'file' }
  | { readonly kind: 'directory' }
  | { readonly kind: 'other' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly code?: string };

/** A symlink's target, exactly as stored (one hop), or why there is none. */
export type LinkRead =
  | { readonly kind: 'link'; readonly target: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'not-a-link' }
  | { readonly kind: 'unreadable'; readonly code?: string };

/** One entry of a directory, typed as the directory reports it (without following a symlink). */
export interface DirectoryEntry {
  readonly name: string;
  readonly kind: 'file' | 'directory' | 'symlink' | 'other';
}

export type DirectoryListing =
  | { readonly ok: true; readonly entries: readonly DirectoryEntry[] }
  | { readonly ok: false; readonly problem: 'missing' | 'too-many' }
  | { readonly ok: false; readonly problem: 'unreadable'; readonly code?: string };

/**
 * The few file system calls the mounted source makes. The real one is {@link nodeMountFileSystem};
 * a test wraps it to act between two calls (swap the volume, stall a read) on a real directory.
 * None of them throws: each says what it found, in words safe to print (an errno code at most).
 */
export interface MountFileSystem {
  kindOf(path: string): Promise<PathKind>;
  readLink(path: string): Promise<LinkRead>;
  /** At most `maxEntries` entries, or `too-many`: a directory of a million files is not read. */
  list(dir: string, maxEntries: number): Promise<DirectoryListing>;
  /** A regular file's bytes up to `maxBytes`, opened non-blocking (a FIFO never hangs it). */
  readFile(path: string, maxBytes: number): Promise<SmallFileRead>;
}

/** The file system itself. */
export const nodeMountFileSystem: MountFileSystem = {
  async kindOf(path) {
    try {
      const found = await stat(path);
      return { kind: found.isFile() ? 'file' : found.isDirectory() ? 'directory' : 'other' };
    } catch (error: unknown) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
      return { kind: 'unreadable', ...(code !== undefined && { code }) };
    }
  },

  async readLink(path) {
    try {
      return { kind: 'link', target: await readlink(path) };
    } catch (error: unknown) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
      if (code === 'EINVAL') return { kind: 'not-a-link' };
      return { kind: 'unreadable', ...(code !== undefined && { code }) };
    }
  },

  async list(dir, maxEntries) {
    try {
      const handle = await opendir(dir);
      const entries: DirectoryEntry[] = [];
      // Leaving the loop early (too many entries) closes the directory, as finishing it does.
      for await (const entry of handle) {
        if (entries.length >= maxEntries) return { ok: false, problem: 'too-many' };
        entries.push({ name: entry.name, kind: kindOfEntry(entry) });
      }
      return { ok: true, entries };
    } catch (error: unknown) {
      const code = errnoOf(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, problem: 'missing' };
      return { ok: false, problem: 'unreadable', ...(code !== undefined && { code }) };
    }
  },

  readFile: readSmallFile,
};

function kindOfEntry(entry: Dirent): DirectoryEntry['kind'] {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** The errno code of a file system error, when it has the shape of one (never its message). */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]{1,20}$/.test(code) ? code : undefined;
}
