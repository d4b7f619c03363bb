import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { DOWNLOAD_PATH } from '../doppler.constants.js';
import type { ResolvedDopplerOptions } from '../utils/resolve-options.js';
import { describeHttpFailure, describeTransportFailure, type FailureContext } from './describe-failure.js';
import { DopplerError, DopplerResponseError } from './doppler.errors.js';
import { parseSecretsPayload } from './parse-secrets-payload.js';

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
}

const USER_AGENT = 'nestjs-doppler';

/**
 * The one place that speaks HTTP. Every safety rule for talking to Doppler lives here:
 * a hard deadline per request (an idle timer alone lets a dripping server hold start-up
 * forever), no redirects (the token must not travel to another host), no absolute URLs,
 * a size cap that also holds after decompression, and a body taken as text and parsed by
 * us. Failures leave as {@link DopplerError}s built from status and errno codes only; the
 * HTTP library's own error, which carries the token in its request headers, never
 * escapes.
 */
export class DopplerClient {
  private readonly http: AxiosInstance;
  private readonly context: FailureContext;

  constructor(private readonly options: ResolvedDopplerOptions) {
    this.http = axios.create({
      baseURL: options.apiUrl.href,
      allowAbsoluteUrls: false,
      maxRedirects: 0,
      maxContentLength: options.maxResponseBytes,
      maxBodyLength: 0,
      responseType: 'text',
      responseEncoding: 'utf8',
      // Keep the body exactly as received: no JSON guessing, no silent fallback to text.
      transformResponse: [(data: unknown) => data],
      transitional: { silentJSONParsing: false, forcedJSONParsing: false },
      validateStatus: () => true,
      decompress: true,
    });
    const token = options.token;
    this.context = {
      host: options.apiUrl.host,
      ...(options.project !== undefined && { project: options.project }),
      ...(options.config !== undefined && { config: options.config }),
      tokenKind: options.tokenKind,
      timeout: options.timeout,
      scrub: (text) =>
        text
          .split(token)
          .join('[token]')
          .replace(/dp\.[a-z]+\.[A-Za-z0-9_.-]+/g, '[token]'),
    };
  }

  /**
   * Downloads the config's secrets once (no retries).
   *
   * @throws {DopplerError} a subclass naming what went wrong; never an HTTP library error.
   */
  async download(request: DownloadRequest = {}): Promise<DownloadResult> {
    const timeout = request.timeout ?? this.options.timeout;
    const deadline = AbortSignal.timeout(timeout);
    const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.get(this.path(), {
        params: this.query(),
        headers: {
          Authorization: `Bearer ${this.options.token}`,
          Accept: 'application/json',
          'User-Agent': USER_AGENT,
          ...(request.etag !== undefined && { 'If-None-Match': request.etag }),
        },
        signal,
      });
    } catch (error: unknown) {
      throw this.transportError(error, deadline.aborted, timeout);
    }
    return this.read(response, request.etag);
  }

  private path(): string {
    // baseURL may carry a path prefix (a corporate gateway); keep it.
    return `${this.options.apiUrl.pathname}${DOWNLOAD_PATH}`.replace(/^\/+/, '/');
  }

  private query(): Record<string, string> {
    return {
      format: 'json',
      ...(this.options.project !== undefined && { project: this.options.project }),
      ...(this.options.config !== undefined && { config: this.options.config }),
    };
  }

  private read(response: AxiosResponse<unknown>, sentEtag: string | undefined): DownloadResult {
    const header = (name: string): string | undefined => {
      const value: unknown = response.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const body = typeof response.data === 'string' ? response.data : '';
    if (response.status === 304 && sentEtag !== undefined) {
      return { kind: 'not-modified', etag: header('etag') ?? sentEtag };
    }
    if (response.status !== 200) {
      throw describeHttpFailure(
        { status: response.status, body, retryAfter: header('retry-after') },
        this.context,
      );
    }
    const secrets = parseSecretsPayload(body, header('content-type'));
    const etag = header('etag');
    return {
      kind: 'secrets',
      secrets,
      bytes: Buffer.byteLength(body),
      ...(etag !== undefined && { etag }),
    };
  }

  private transportError(error: unknown, timedOut: boolean, timeout: number): DopplerError {
    if (error instanceof DopplerError) return error;
    const code = axios.isAxiosError(error) ? error.code : undefined;
    // Only the message of axios's own size check is inspected, and never passed on.
    if (code === 'ERR_BAD_RESPONSE' && error instanceof Error && /maxContentLength/.test(error.message)) {
      return new DopplerResponseError(
        'DOPPLER_RESPONSE_TOO_LARGE',
        `Doppler's answer was larger than ${this.options.maxResponseBytes} bytes (after decompression) and was dropped. ` +
          'A secrets download is small: check the apiUrl option and any proxy, or raise maxResponseBytes.',
      );
    }
    if (code === 'ERR_BAD_RESPONSE') {
      // axios's name for a body stream that ended early (a reset mid-body).
      return describeTransportFailure('ERR_BODY_ABORTED', timedOut, { ...this.context, timeout });
    }
    const cause = axios.isAxiosError(error) ? (error.cause as { code?: unknown } | undefined) : undefined;
    const errno = typeof cause?.code === 'string' ? cause.code : code;
    return describeTransportFailure(errno === 'ERR_CANCELED' ? undefined : errno, timedOut, {
      ...this.context,
      timeout,
    });
  }
}
