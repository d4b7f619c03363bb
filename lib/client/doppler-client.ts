import { createMasker } from '../redaction/pattern-matcher.js';
import { DOWNLOAD_PATH } from '../doppler.constants.js';
import type { ResolvedDopplerOptions } from '../utils/resolve-options.js';
import { describeHttpFailure, type FailureContext } from './describe-failure.js';
import {
  DopplerHttp,
  timingOf,
  type DopplerClientEnvironment,
  type DopplerHttpAnswer,
} from './doppler-http.js';
import { parseSecretsPayload } from './parse-secrets-payload.js';

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
}

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
    // The one masking engine, so the token is also caught where a server escaped or cut it;
    // built on the first failure that needs it, not on every boot.
    let maskToken: ((text: string) => string) | undefined;
    this.context = {
      host: options.apiUrl.host,
      ...(options.project !== undefined && { project: options.project }),
      ...(options.config !== undefined && { config: options.config }),
      tokenKind: options.tokenKind,
      route: this.http.route,
      // Anything shaped like a Doppler token goes too: a server may echo another one.
      scrub: (text) =>
        (maskToken ??= createMasker([options.token], { mask: '[token]' }))(text).replace(
          /dp\.[a-z]+\.[A-Za-z0-9_.-]+/g,
          '[token]',
        ),
    };
  }

  /**
   * Downloads the config's secrets once (no retries).
   *
   * @throws {DopplerError} a subclass naming what went wrong; never an HTTP library error.
   */
  async download(request: DownloadRequest = {}): Promise<DownloadResult> {
    const answer = await this.http.send(
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
    );
    return this.read(answer, request.etag);
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
