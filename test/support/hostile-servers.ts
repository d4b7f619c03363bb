/**
 * Small real servers on 127.0.0.1 that stand between the client and the emulator the way
 * real infrastructure does (a gateway with a path prefix, a forward proxy, a TLS origin)
 * or misbehave the way it can (HTML error pages, 407, hanging CONNECTs). Each records what
 * it saw, so a test can assert where the token went.
 */
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  connect,
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { KeyPair } from './test-certificates.js';

/** A listening server and how to stop it, hung connections included. */
export interface Running {
  readonly port: number;
  /** e.g. `http://127.0.0.1:41234` (or https:). */
  readonly url: string;
  close(): Promise<void>;
}

async function listen(server: Server, scheme: 'http' | 'https'): Promise<Running> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  server.on('connection', track);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Forwards a request to `upstream` (the emulator) with `path`, and pipes the answer back. */
function forward(upstream: string, path: string, req: IncomingMessage, res: ServerResponse): void {
  const target = new URL(upstream);
  const out = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      path,
      method: req.method,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', () => res.destroy());
  req.pipe(out);
}

export interface Origin extends Running {
  /** Request targets (path and query) in the order they arrived. */
  readonly paths: string[];
  /** `Authorization` headers received: where the token did arrive. */
  readonly authorizations: string[];
}

/**
 * A reverse proxy in front of `upstream` that serves only under `prefix` (a corporate
 * gateway at https://gw.corp/doppler) and answers its own HTML 404 anywhere else. With
 * `tls` it is an https: origin with that certificate.
 */
export async function startGateway(
  upstream: string,
  options: { prefix?: string; tls?: KeyPair } = {},
): Promise<Origin> {
  const prefix = options.prefix ?? '';
  const paths: string[] = [];
  const authorizations: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    paths.push(url);
    if (req.headers.authorization) authorizations.push(req.headers.authorization);
    if (!url.startsWith(`${prefix}/`)) {
      req.resume();
      res
        .writeHead(404, { 'content-type': 'text/html' })
        .end('<html><body><h1>404 Not Found</h1>gateway</body></html>');
      return;
    }
    forward(upstream, url.slice(prefix.length), req, res);
  };
  const server = options.tls ? createHttpsServer({ ...options.tls }, handler) : createHttpServer(handler);
  const running = await listen(server, options.tls ? 'https' : 'http');
  return { ...running, paths, authorizations };
}

/** A server that answers every request with the same status and body (a gateway's error page). */
export async function startFixedAnswer(answer: {
  status: number;
  body: string;
  contentType?: string;
}): Promise<Origin> {
  const paths: string[] = [];
  const authorizations: string[] = [];
  const server = createHttpServer((req, res) => {
    paths.push(req.url ?? '/');
    if (req.headers.authorization) authorizations.push(req.headers.authorization);
    req.resume();
    res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/html' }).end(answer.body);
  });
  return { ...(await listen(server, 'http')), paths, authorizations };
}

/** What a proxy was asked, one entry per request head it read. */
export interface ProxyRequest {
  readonly method: string;
  /** `host:port` for CONNECT, the absolute URL for a forwarded plain request. */
  readonly target: string;
  readonly proxyAuthorization?: string;
}

export interface RecordingProxy extends Running {
  /** TCP (or TLS) connections accepted. */
  connections: number;
  readonly requests: ProxyRequest[];
  /** Whether these bytes ever crossed the proxy unencrypted (to the proxy, or tunnelled). */
  sawInClear(text: string): boolean;
}

export interface ProxyBehaviour {
  /** Where a CONNECT (or forwarded request) to this host:port really goes. */
  readonly upstream: (authority: string) => { host: string; port: number };
  /** Answer 407 unless `Proxy-Authorization` is exactly this. */
  readonly requireAuthorization?: string;
  /** Answer every request with this status instead of serving it (502: upstream down, 403: policy). */
  readonly refuseWith?: number;
  /** Read the request and never answer. */
  readonly hang?: boolean;
  /** Be an https: proxy with this certificate. */
  readonly tls?: KeyPair;
}

const REASONS: Readonly<Record<number, string>> = {
  403: 'Forbidden',
  407: 'Proxy Authentication Required',
  502: 'Bad Gateway',
};

/**
 * A forward proxy written on raw sockets, so it records every byte it is sent: CONNECT
 * opens a tunnel to `upstream(authority)`; an absolute-form request is passed on as is.
 */
export async function startProxy(behaviour: ProxyBehaviour): Promise<RecordingProxy> {
  const seen: Buffer[] = [];
  const requests: ProxyRequest[] = [];
  const state = { connections: 0 };

  const onSocket = (socket: Socket) => {
    state.connections++;
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen.push(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.pause();
      const [requestLine = '', ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const [method = '', target = ''] = requestLine.split(' ');
      const headers = new Map(
        lines.map((line) => [
          line.slice(0, line.indexOf(':')).trim().toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      const proxyAuthorization = headers.get('proxy-authorization');
      requests.push({ method, target, ...(proxyAuthorization !== undefined && { proxyAuthorization }) });
      if (behaviour.hang) return;
      const refuse = (status: number, extra = '') =>
        socket.end(
          `HTTP/1.1 ${status} ${REASONS[status] ?? 'Refused'}\r\n${extra}content-length: 0\r\nconnection: close\r\n\r\n`,
        );
      if (
        behaviour.requireAuthorization !== undefined &&
        proxyAuthorization !== behaviour.requireAuthorization
      ) {
        refuse(407, 'proxy-authenticate: Basic realm="test"\r\n');
        return;
      }
      if (behaviour.refuseWith !== undefined) {
        refuse(behaviour.refuseWith);
        return;
      }
      const authority = method === 'CONNECT' ? target : new URL(target).host;
      const upstream = connect(behaviour.upstream(authority));
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.once('connect', () => {
        if (method === 'CONNECT') {
          socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.write(buffered.subarray(end + 4));
        } else {
          // Passed on in origin form, as a forward proxy does.
          const url = new URL(target);
          const head = buffered
            .toString('latin1')
            .replace(requestLine, `${method} ${url.pathname}${url.search} HTTP/1.1`);
          upstream.write(Buffer.from(head, 'latin1'));
        }
        socket.on('data', (more: Buffer) => {
          seen.push(more);
          upstream.write(more);
        });
        socket.resume();
        upstream.pipe(socket);
      });
    };
    socket.on('data', onData);
  };

  const server = behaviour.tls ? createTlsServer({ ...behaviour.tls }, onSocket) : createNetServer(onSocket);
  const running = await listen(server, behaviour.tls ? 'https' : 'http');
  return {
    ...running,
    get connections() {
      return state.connections;
    },
    set connections(value: number) {
      state.connections = value;
    },
    requests,
    sawInClear: (text) => Buffer.concat(seen).includes(text),
  };
}
