import type { ServerResponse } from 'node:http';
import { authorizeSecretsRead, isPlannedResponse, resolveConfig } from './emulator-config-access.js';
import type { PlannedResponse } from './emulator-errors.js';
import type { EmulatorStatusFault } from './emulator-faults.js';
import type { EmulatorRoute, EmulatorRouteContext, EmulatorRouteRequest } from './emulator-route.js';

/** Path of Doppler's watch stream (server-sent events), behind `doppler run --watch`. */
export const WATCH_PATH = '/v3/configs/config/secrets/watch';

/**
 * Open the stream, send `connected`, then nothing more: no pings, no events (a stalled stream
 * behind a proxy that keeps the socket).
 *
 * @publicApi
 */
export interface EmulatorWatchStallFault {
  readonly kind: 'stall';
}

/**
 * Open the stream, send `connected`, then drop the connection after `afterMs` (real time).
 *
 * @publicApi
 */
export interface EmulatorWatchDropFault {
  readonly kind: 'drop';
  /** @default 0 (right after `connected`) */
  readonly afterMs?: number;
}

/**
 * A healthy stream whose every frame is written one byte at a time, each byte its own write.
 *
 * @publicApi
 */
export interface EmulatorWatchSplitFault {
  readonly kind: 'split';
}

/**
 * A misbehaviour of one watch connection: a status instead of the stream (`429` with
 * `retry-after`, `403` for a plan without the stream), a stall, a drop, or frames split byte by byte.
 *
 * @publicApi
 */
export type EmulatorWatchFault =
  EmulatorStatusFault | EmulatorWatchStallFault | EmulatorWatchDropFault | EmulatorWatchSplitFault;

/** @publicApi */
export type EmulatorWatchFaultKind = EmulatorWatchFault['kind'];

/** A planned answer that opens a stream for this config instead of a body. */
export interface PlannedStream extends PlannedResponse {
  readonly stream: { readonly project: string; readonly config: string };
}

export function isPlannedStream(planned: PlannedResponse): planned is PlannedStream {
  return 'stream' in planned;
}

/**
 * `GET /v3/configs/config/secrets/watch`: the same checks as the download (authentication, rate
 * limit, capability, scope, existence), then a `text/event-stream` of `event: message` frames with
 * `data: {"type": "connected" | "ping" | "secrets.update"}`. No value travels on it. Not in
 * Doppler's OpenAPI document: the contract check skips it with the reason in
 * scripts/contract/contract-exclusions.ts.
 */
export const WATCH_ROUTE: EmulatorRoute = {
  method: 'GET',
  path: WATCH_PATH,
  // Its faults are the watch faults (`injectWatchFaults`), not the download's.
  acceptsFaults: false,
  answer: answerWatch,
};

function answerWatch(request: EmulatorRouteRequest, context: EmulatorRouteContext): PlannedResponse {
  const reader = authorizeSecretsRead(request, context);
  if (isPlannedResponse(reader)) return reader;
  const resolved = resolveConfig(reader, request.query, context.store);
  if (isPlannedResponse(resolved)) return resolved;
  const planned: PlannedStream = {
    status: 200,
    headers: {},
    body: '',
    stream: { project: resolved.project, config: resolved.config },
  };
  return planned;
}

/**
 * Rejects a watch fault the server could not serve, at injection time.
 *
 * @throws RangeError naming the field.
 */
export function assertValidWatchFault(fault: EmulatorWatchFault): void {
  switch (fault.kind) {
    case 'status':
      if (
        !Number.isInteger(fault.status) ||
        fault.status < 200 ||
        fault.status > 599 ||
        fault.status === 200
      ) {
        throw new RangeError(
          'Invalid emulator watch fault: status.status must be an integer from 201 to 599',
        );
      }
      return;
    case 'drop':
      if (!Number.isFinite(fault.afterMs ?? 0) || (fault.afterMs ?? 0) < 0) {
        throw new RangeError('Invalid emulator watch fault: drop.afterMs must be a number >= 0');
      }
      return;
    case 'stall':
    case 'split':
      return;
    default:
      throw new RangeError(
        `Invalid emulator watch fault: unknown kind ${JSON.stringify((fault as { kind: unknown }).kind)}`,
      );
  }
}

interface Watcher {
  readonly res: ServerResponse;
  readonly project: string;
  readonly config: string;
  readonly silent: boolean;
  readonly split: boolean;
  /** Bytes waiting to go out one at a time (split watchers only). */
  readonly queue: number[];
  pumping: boolean;
}

const frame = (type: string): string => `event: message\ndata: ${JSON.stringify({ type })}\n\n`;

/**
 * The open watch connections: `secrets.update` to those of a config when it is edited, a ping to
 * all on an interval. The ping timer never keeps the process alive, and {@link close} ends every
 * stream.
 */
export class EmulatorWatchHub {
  readonly #watchers = new Set<Watcher>();
  #ping: NodeJS.Timeout | undefined;

  constructor(private readonly pingIntervalMs: number) {}

  /** How many streams are open. */
  get size(): number {
    return this.#watchers.size;
  }

  /** Serves one stream; `fault` (stall, drop, split) shapes it. */
  open(res: ServerResponse, target: PlannedStream['stream'], fault: EmulatorWatchFault | undefined): void {
    const watcher: Watcher = {
      res,
      ...target,
      silent: fault?.kind === 'stall',
      split: fault?.kind === 'split',
      queue: [],
      pumping: false,
    };
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    if (watcher.split) res.socket?.setNoDelay(true);
    this.#watchers.add(watcher);
    res.once('close', () => this.#watchers.delete(watcher));
    this.send(watcher, frame('connected'));
    if (fault?.kind === 'drop') {
      const timer = setTimeout(() => res.destroy(), fault.afterMs ?? 0);
      timer.unref();
    }
    this.#ping ??= this.startPings();
  }

  /** A config changed: tells its watchers. */
  notify(project: string, config: string): void {
    for (const watcher of this.#watchers) {
      if (watcher.project === project && watcher.config === config && !watcher.silent) {
        this.send(watcher, frame('secrets.update'));
      }
    }
  }

  /** Pings every watcher that is not stalled, now. */
  ping(): void {
    for (const watcher of this.#watchers) if (!watcher.silent) this.send(watcher, frame('ping'));
  }

  /** Ends every stream and the ping timer. */
  close(): void {
    clearInterval(this.#ping);
    this.#ping = undefined;
    for (const watcher of this.#watchers) watcher.res.destroy();
    this.#watchers.clear();
  }

  private startPings(): NodeJS.Timeout {
    const timer = setInterval(() => this.ping(), this.pingIntervalMs);
    timer.unref();
    return timer;
  }

  private send(watcher: Watcher, text: string): void {
    if (watcher.res.destroyed) return;
    if (!watcher.split) {
      watcher.res.write(text);
      return;
    }
    watcher.queue.push(...Buffer.from(text, 'utf8'));
    if (watcher.pumping) return;
    watcher.pumping = true;
    const pump = (): void => {
      const byte = watcher.queue.shift();
      if (byte === undefined || watcher.res.destroyed) {
        watcher.pumping = false;
        return;
      }
      watcher.res.write(Uint8Array.of(byte), () => setImmediate(pump));
    };
    pump();
  }
}
