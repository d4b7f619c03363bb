import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import {
  Agent as HttpsAgent,
  request as httpsRequest,
  type AgentOptions,
  type RequestOptions,
} from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { ProxyEndpoint } from './proxy-route.js';

/** Why a CONNECT tunnel could not be opened. Internal: it is turned into a DopplerError. */
export class ProxyTunnelError extends Error {
  constructor(
    /** `status`: the proxy answered CONNECT with a non-2xx; `connect`: it could not be reached. */
    readonly problem: 'status' | 'connect' | 'aborted',
    readonly proxy: ProxyEndpoint,
    /** The proxy's status for `status`; the errno-style code for `connect`. */
    readonly detail: { readonly status?: number; readonly code?: string } = {},
  ) {
    super(`proxy tunnel: ${problem}`);
    this.name = 'ProxyTunnelError';
  }
}

/** Where one request's tunnel got to, so a timeout can be blamed on the right party. */
export interface TunnelProgress {
  phase: 'none' | 'connecting' | 'open';
}

/** TLS settings of the origin connection that are taken over from the request options. */
const ORIGIN_TLS_KEYS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'ciphers',
  'minVersion',
  'maxVersion',
  'rejectUnauthorized',
  'checkServerIdentity',
  'ALPNProtocols',
  'session',
  'secureContext',
  'servername',
] as const;

/**
 * An https agent that reaches the origin through an HTTP CONNECT tunnel: it asks the proxy
 * (over plain TCP for an http: proxy, over TLS for an https: one) to open a raw connection
 * to host:port, then speaks TLS to the origin inside it, so the proxy sees the host name and
 * nothing else. `Proxy-Authorization` goes on the CONNECT only, set after the request object
 * exists so it is not in the options Node's NODE_DEBUG output prints. One agent serves one
 * download: the abort signal ends a CONNECT still pending at the deadline.
 */
export class TunnelingAgent extends HttpsAgent {
  constructor(
    private readonly proxy: ProxyEndpoint,
    private readonly signal: AbortSignal,
    private readonly progress: TunnelProgress,
    options: AgentOptions = {},
  ) {
    super({ ...options, keepAlive: false });
  }

  override createConnection(
    options: RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    let settled = false;
    const done = (error: Error | null, stream?: Duplex): void => {
      if (settled) return;
      settled = true;
      this.signal.removeEventListener('abort', onAbort);
      // Node's callback contract has no "no stream" form; a failed connect passes none.
      callback?.(error, stream as Duplex);
    };
    const host = String(options.host ?? options.hostname ?? 'localhost');
    const port = Number(options.port) || 443;
    const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.progress.phase = 'connecting';

    const connectRequest = this.openConnect(authority, options);
    const onAbort = (): void => {
      connectRequest.destroy();
      done(new ProxyTunnelError('aborted', this.proxy));
    };
    if (this.signal.aborted) {
      onAbort();
      return undefined;
    }
    this.signal.addEventListener('abort', onAbort, { once: true });

    connectRequest.once('connect', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) {
        socket.destroy();
        done(new ProxyTunnelError('status', this.proxy, { status }));
        return;
      }
      this.progress.phase = 'open';
      if (head.length > 0) socket.unshift(head);
      const tlsOptions: ConnectionOptions = { socket, host };
      const given = options as Readonly<Record<string, unknown>>;
      for (const key of ORIGIN_TLS_KEYS) {
        if (given[key] !== undefined) Object.assign(tlsOptions, { [key]: given[key] });
      }
      if (!tlsOptions.servername && isIP(host) === 0) tlsOptions.servername = host;
      const secure = tlsConnect(tlsOptions);
      secure.once('close', () => socket.destroy());
      done(null, secure);
    });
    // `on`, not `once`: destroying a pending CONNECT at the deadline may emit a second error.
    connectRequest.on('error', (error: NodeJS.ErrnoException) => {
      done(new ProxyTunnelError('connect', this.proxy, codeOf(error)));
    });
    connectRequest.end();
    return undefined;
  }

  private openConnect(authority: string, origin: RequestOptions): ClientRequest {
    const secureProxy = this.proxy.protocol === 'https:';
    const request = (secureProxy ? httpsRequest : httpRequest)({
      host: this.proxy.hostname,
      port: this.proxy.port,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority },
      agent: false,
      ...(secureProxy && {
        ALPNProtocols: ['http/1.1'],
        ...(isIP(this.proxy.hostname) === 0 && { servername: this.proxy.hostname }),
        // The proxy's certificate is checked against the same trust as the origin's.
        ...(origin.ca !== undefined && { ca: origin.ca }),
      }),
    });
    const authorization = this.proxy.authorization();
    if (authorization !== undefined) request.setHeader('Proxy-Authorization', authorization);
    return request;
  }
}

function codeOf(error: NodeJS.ErrnoException): { code?: string } {
  if (typeof error.code === 'string') return { code: error.code };
  // Happy-eyeballs failures arrive as an AggregateError whose parts carry the codes.
  const parts = (error as { errors?: unknown }).errors;
  const first = Array.isArray(parts) ? (parts[0] as { code?: unknown } | undefined) : undefined;
  return typeof first?.code === 'string' ? { code: first.code } : {};
}
