import type { Logger } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { dopplerError } from '../errors/create-doppler-error.js';
import type { DopplerError } from '../errors/doppler.errors.js';
import type { Clock } from '../core/clock.js';
import { printable } from '../core/printable.js';
import { within } from '../core/within.js';
import type { ResolvedMountedOptions } from '../options/resolve-options.js';
import { nodeMountFileSystem, type MountFileSystem } from './mounted/mount-file-system.js';
import { readMountedVersion } from './mounted/read-mounted-version.js';
import { secretsFromVersion } from './mounted/secrets-from-version.js';
import { watchMountedPath, type WatchDirectory } from './mounted/watch-mounted-path.js';
import type { LoadOutcome, LoadRequest, SecretsSource, WatchContext } from './secrets-source.js';

/** The limits every read of the volume keeps to, from the module's options. */
export interface MountedReadLimits {
  /** `maxResponseBytes`: all files together. */
  readonly maxBytes: number;
  /** `deadline`, for messages (the load's signal enforces it). */
  readonly deadline: number;
}

/** @internal What a test swaps in: the same calls, on a real directory, with a hook between them. */
export interface MountedSourceDeps {
  readonly fileSystem?: MountFileSystem;
  readonly watchDirectory?: WatchDirectory;
}

/**
 * A mounted volume: the Kubernetes Secret the Doppler Kubernetes Operator syncs, or any
 * directory of one file per secret, or one file holding the whole set. Each load reads one
 * consistent version (see `readMountedVersion`) within the load's deadline; an unchanged
 * Kubernetes volume answers `not-modified` from one readlink (its etag is the kubelet's version
 * directory), any other layout from a keyed digest of its files. `watch()` watches the directory
 * and polls it as a safety net. No value is ever put in an error or a log line.
 */
export class MountedSource implements SecretsSource {
  readonly refreshable = true;
  readonly #fileSystem: MountFileSystem;
  readonly #watchDirectory: WatchDirectory | undefined;
  // Per process: the digest tells versions apart, and a guessed value cannot be checked against it.
  readonly #digestKey = randomBytes(32);
  #pending: Promise<LoadOutcome> | undefined;
  #watchedDir: string | undefined;

  constructor(
    private readonly options: ResolvedMountedOptions,
    private readonly limits: MountedReadLimits,
    private readonly clock: Clock,
    private readonly logger: Pick<Logger, 'warn'>,
    deps: MountedSourceDeps = {},
  ) {
    this.#fileSystem = deps.fileSystem ?? nodeMountFileSystem;
    this.#watchDirectory = deps.watchDirectory;
  }

  get description(): string {
    return `the volume mounted at ${printable(this.options.path)}`;
  }

  /**
   * Reads the volume once, or answers `not-modified` when it still holds the version of
   * `request.etag`. Nothing in the file system can be cancelled, so a read that outlives the
   * deadline goes on in the background; until it returns, a new load fails at once rather than
   * start another read that would hang as well (each holds one of Node's few I/O threads).
   *
   * @throws {DopplerError} for a missing, unreadable or malformed volume.
   * @throws {DopplerUnavailableError} `DOPPLER_TIMEOUT` when the volume does not answer by the deadline.
   */
  load(request: LoadRequest): Promise<LoadOutcome> {
    if (this.#pending !== undefined) return Promise.reject(this.stalled(true));
    const work = this.read(request).finally(() => {
      this.#pending = undefined;
    });
    this.#pending = work;
    return within(work, request.signal, () => this.stalled(false));
  }

  /** Watches the volume's directory and polls it every `mounted.pollInterval` ms. */
  watch(onChange: () => void, context?: WatchContext): () => void {
    context?.channel('volume', 'live');
    return watchMountedPath(
      {
        dir: this.#watchedDir ?? this.options.path,
        pollInterval: this.options.pollInterval,
        clock: this.clock,
        logger: this.logger,
        ...(this.#watchDirectory !== undefined && { watchDirectory: this.#watchDirectory }),
      },
      onChange,
    );
  }

  private async read(request: LoadRequest): Promise<LoadOutcome> {
    const { path } = this.options;
    const found = await readMountedVersion(this.#fileSystem, path, {
      maxBytes: this.limits.maxBytes,
      signal: request.signal,
      stalled: () => this.stalled(false),
      ...(request.etag !== undefined && { knownVersion: request.etag }),
    });
    if (found.kind === 'current') return { kind: 'not-modified', etag: found.version };
    const { read } = found;
    // A file's own directory is where the kubelet swaps it (or an editor replaces it).
    this.#watchedDir = read.layout === 'file' ? dirname(path) : path;
    const etag = read.version ?? this.digest(read.files);
    if (etag === request.etag) return { kind: 'not-modified', etag };
    return {
      kind: 'set',
      set: {
        raw: secretsFromVersion(read, path),
        origin: 'mounted',
        fetchedAt: new Date(this.clock.now()),
        etag,
      },
    };
  }

  /** Names, lengths and bytes, so no two different sets of files digest alike. */
  private digest(files: ReadonlyMap<string, Buffer>): string {
    const hmac = createHmac('sha256', this.#digestKey);
    for (const [name, data] of files) hmac.update(`${name}\0${data.length}\0`).update(data);
    return `digest:${hmac.digest('hex').slice(0, 32)}`;
  }

  private stalled(stillPending: boolean): DopplerError {
    const where = printable(this.options.path);
    return dopplerError(
      'DOPPLER_TIMEOUT',
      stillPending
        ? `The previous read of the volume mounted at ${where} has still not returned: the volume is hung. No new read is started until it does, so stalled reads cannot pile up.`
        : `Reading the volume mounted at ${where} did not finish within the ${this.limits.deadline} ms deadline (the deadline option): the volume is not answering (a hung network, FUSE or CSI mount?).`,
      { retryable: true, reason: 'MOUNT_STALLED' },
    );
  }
}
