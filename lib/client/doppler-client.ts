import { createMasker } from '../redaction/pattern-matcher.js';
import type { Readable } from 'node:stream';
import { DOWNLOAD_PATH, WATCH_PATH } from '../doppler.constants.js';
import { dopplerError } from '../errors/create-doppler-error.js';
import type { ResolvedDopplerOptions } from '../options/resolve-options.js';
import { describeHttpFailure, type FailureContext } from './describe-failure.js';
import {
  DopplerHttp,
  timingOf,
  type DopplerClientEnvironment,
  type DopplerHttpAnswer,
} from './doppler-http.js';
import { parseSecretsPayload } from './parse-secrets-payload.js';
import type { FetchObserver } from '../telemetry/fetch-observer.js';
import { observeAnswer } from './observe-answer.js';

export type { DopplerClientEnvironment } from './doppler-http.js';

/** A download that brought secrets. */
export interface SecretsDownload {
  readonly kind: 'secrets';
  readonly secrets: Readonly<Record<string, string>>;
  /** Doppler's version tag of this set, for `If-None-Match` next time. */
  readonly etag?: string;
  /** Size of the (decompressed) body in bytes. */
  readonly bytes: number;
}

/** Doppler said nothing changed since the given ETag. */
export interface NotModified {
  readonly kind: 'not-modified';
  readonly etag: string;
}

export type DownloadResult = SecretsDownload | NotModified;

export interface DownloadRequest {
  /** ETag of the set the caller holds; Doppler answers 304 when it is still current. */
  readonly etag?: string;
  /** Aborts the request, e.g. on application shutdown. */
  readonly signal?: AbortSignal;
  /** Deadline of this request in milliseconds. @default the `timeout` option */
  readonly timeout?: number;
  /**
   * The overall deadline this request is part of, when there is one: the request gets
   * `min(timeout, remainingMs)`, and a timeout message names the setting that ran out.
   */
  readonly budget?: { readonly deadlineMs: number; readonly remainingMs: number };
  /** Told how the request ended: the status, or the code of the error when no answer came. */
  readonly observer?: FetchObserver;
}

/** An open watch stream: its body as it arrives, and how to close it (idempotent). */
export interface WatchConnection {
  readonly body: Readable;
  close(): void;
}

export interface WatchRequest {
  /** Aborts the request, or the stream once open (shutdown, a stall). */
  readonly signal: AbortSignal;
  /** Milliseconds for the answer's headers to arrive. @default the `timeout` option */
  readonly timeout?: number;
  /** Told the answer's status, or the code of a request that got none (telemetry's request count). */
  readonly observer?: Pick<FetchObserver, 'response'>;
}

/** Most bytes of a refused watch request's body read for Doppler's message. */
const MAX_REFUSAL_BODY_BYTES = 16 * 1024;

/**
 * The secrets download, on {@link DopplerHttp} (where every transport rule lives): Bearer auth
 * with one token, `format=json` and the scope, the ETag, and a body parsed by us. Failures
 * leave as {@link DopplerError}s built from status and errno codes only; the HTTP library's own
 * error, which carries the token in its request headers, never escapes.
 */
export class DopplerClient {
  private readonly http: DopplerHttp;
  private readonly context: FailureContext;

  constructor(
    private readonly options: ResolvedDopplerOptions,
    environment: DopplerClientEnvironment = {},
  ) {
    this.http = new DopplerHttp(options, environment);
    // The one masking engine, so the token is also caught where a server escaped or cut it.
    // Its secret part too (after the last dot: `dp.st.<config>.<secret>`): a server may echo that alone.
    // Built on the first failure that needs it, not on every boot.
    const secretPart = options.token.slice(options.token.lastIndexOf('.') + 1);
    let maskToken: ((text: string) => string) | undefined;
    this.context = {
      host: options.apiUrl.host,
      ...(options.project !== undefined && { project: options.project }),
      ...(options.config !== undefined && { config: options.config }),
      tokenKind: options.tokenKind,
      route: this.http.route,
      // Anything shaped like a Doppler token goes too: a server may echo another one.
      scrub: (text) =>
        (maskToken ??= createMasker([options.token, ...(secretPart.length >= 16 ? [secretPart] : [])], {
          mask: '[token]',
        }))(text).replace(/dp\.[a-z]+\.[A-Za-z0-9_.-]+/g, '[token]'),
    };
  }

  /**
   * Downloads the config's secrets once (no retries).
   *
   * @throws {DopplerError} a subclass naming what went wrong; never an HTTP library error.
   */
  async download(request: DownloadRequest = {}): Promise<DownloadResult> {
    const answer = await observeAnswer(
      this.http.send(
        {
          method: 'GET',
          path: DOWNLOAD_PATH,
          params: this.query(),
          headers: {
            Authorization: `Bearer ${this.options.token}`,
            Accept: 'application/json',
            ...(request.etag !== undefined && { 'If-None-Match': request.etag }),
          },
          ...(request.signal !== undefined && { signal: request.signal }),
          timing: timingOf(request.timeout ?? this.options.timeout, request.budget),
        },
        this.context,
      ),
      request.observer,
    );
    return this.read(answer, request.etag);
  }

  /**
   * Opens Doppler's watch stream (server-sent events) for the config, on the same transport as
   * the download (proxy, TLS, loopback rules, no redirects). The `timeout` covers the answer's
   * headers only; once open, the stream lives until `signal` aborts or it ends, and the caller
   * watches it for stalls.
   *
   * @throws {DopplerError} for a refusal (403, 404, 429 with `retryAfterMs`...), a transport failure,
   *   or a 200 that is not an event stream; never an HTTP library error.
   */
  async openWatch(request: WatchRequest): Promise<WatchConnection> {
    const answer = await observeAnswer(
      this.http.stream(
        {
          method: 'GET',
          path: WATCH_PATH,
          params: this.scopeQuery(),
          headers: {
            Authorization: `Bearer ${this.options.token}`,
            Accept: 'text/event-stream',
            'Cache-Control': 'no-cache',
          },
          signal: request.signal,
          timing: timingOf(request.timeout ?? this.options.timeout, undefined),
        },
        this.context,
      ),
      request.observer,
      // Aborted by the caller (shutdown, a stall): not a request Doppler failed.
      request.signal,
    );
    if (answer.status !== 200) {
      const text = await readBounded(answer.body, MAX_REFUSAL_BODY_BYTES, request.signal).finally(
        answer.close,
      );
      throw describeHttpFailure(
        { status: answer.status, body: text, retryAfter: answer.header('retry-after') },
        this.context,
      );
    }
    if (!/^text\/event-stream\s*(;|$)/i.test(answer.header('content-type') ?? '')) {
      answer.close();
      throw dopplerError(
        'DOPPLER_MALFORMED_RESPONSE',
        `${this.options.apiUrl.host} answered the watch request with 200 but not an event stream (content-type is not text/event-stream): check the apiUrl option and any gateway or proxy in between.`,
        { status: 200, retryable: true },
      );
    }
    return { body: answer.body, close: answer.close };
  }

  private scopeQuery(): Record<string, string> {
    return {
      ...(this.options.project !== undefined && { project: this.options.project }),
      ...(this.options.config !== undefined && { config: this.options.config }),
    };
  }

  private query(): Record<string, string> {
    return {
      format: 'json',
      ...(this.options.project !== undefined && { project: this.options.project }),
      ...(this.options.config !== undefined && { config: this.options.config }),
    };
  }

  private read(answer: DopplerHttpAnswer, sentEtag: string | undefined): DownloadResult {
    if (answer.status === 304 && sentEtag !== undefined) {
      return { kind: 'not-modified', etag: answer.header('etag') ?? sentEtag };
    }
    if (answer.status !== 200) {
      throw describeHttpFailure(
        { status: answer.status, body: answer.body, retryAfter: answer.header('retry-after') },
        this.context,
      );
    }
    const secrets = parseSecretsPayload(answer.body, answer.header('content-type'));
    const etag = answer.header('etag');
    return {
      kind: 'secrets',
      secrets,
      bytes: Buffer.byteLength(answer.body),
      ...(etag !== undefined && { etag }),
    };
  }
}

/** Up to `max` bytes of a body as text; the rest is not read. Never rejects. */
function readBounded(body: Readable, max: number, signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve(Buffer.concat(parts).toString('utf8'));
    };
    body.on('data', (chunk: Buffer) => {
      if (size >= max) return;
      parts.push(chunk.subarray(0, max - size));
      size += chunk.length;
      if (size >= max) done();
    });
    body.once('end', done);
    body.on('error', done);
    body.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
