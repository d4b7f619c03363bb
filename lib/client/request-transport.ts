import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestOptions,
} from 'node:http';
import {
  Agent as HttpsAgent,
  request as httpsRequest,
  type AgentOptions as HttpsAgentOptions,
} from 'node:https';
import { isIP } from 'node:net';
import { loopbackOnlyLookup, type ResolveAll } from './loopback-lookup.js';
import { TunnelingAgent, type TunnelProgress } from './proxy-agent.js';
import type { Route } from './proxy-route.js';

/** What the transport needs to know about where requests go. */
export interface TransportPlan {
  /** The apiUrl: every request goes to this origin and no other. */
  readonly target: URL;
  readonly route: Route;
  /** The user set `dangerouslyAllowInsecureHttp`: clear text to any host is accepted. */
  readonly allowInsecureHttp: boolean;
  /** Certificate authorities to trust instead of Node's bundle (tests, private gateways). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** The resolver behind the loopback check (`dns.lookup` unless a test gives another). */
  readonly resolve?: ResolveAll;
}

/** The part of axios's request options a transport reads. */
export interface AxiosTransportOptions {
  readonly method?: string;
  /** Path and query, already encoded by axios. */
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string | readonly string[] | number | undefined>>;
}

/** axios's `transport` contract: an object with `request(options, onResponse)`. */
export interface AxiosTransport {
  request(options: AxiosTransportOptions, onResponse: (response: IncomingMessage) => void): ClientRequest;
}

/** One download's transport and the agent behind it (destroyed once the download is over). */
export interface RequestTransport {
  readonly transport: AxiosTransport;
  readonly agent: HttpAgent;
  readonly progress: TunnelProgress;
}

// Node's http Agent and net print the request options object under NODE_DEBUG=http/net, and
// these would be in it; they are set on the request object after it exists instead.
const HELD_BACK = new Set(['authorization', 'proxy-authorization']);

/**
 * Builds the transport for one download: our own agent (never Node's global one, so neither
 * an env proxy of Node's nor a pooled socket from elsewhere is involved), the route chosen
 * from the environment, and credentials kept out of the options Node debug-prints.
 */
export function createRequestTransport(plan: TransportPlan, signal: AbortSignal): RequestTransport {
  const progress: TunnelProgress = { phase: 'none' };
  const agent = createAgent(plan, signal, progress);
  const transport: AxiosTransport = {
    request(options, onResponse) {
      const { headers, held } = splitHeaders(options.headers);
      const request = (usesTls(plan) ? httpsRequest : httpRequest)(
        { ...endpointOptions(plan, options.path ?? '/', headers), method: options.method ?? 'GET', agent },
        onResponse,
      );
      for (const [name, value] of held) request.setHeader(name, value);
      if (plan.route.kind === 'forward') {
        const authorization = plan.route.proxy.authorization();
        if (authorization !== undefined) request.setHeader('Proxy-Authorization', authorization);
      }
      return request;
    },
  };
  return { transport, agent, progress };
}

/** Whether the first hop (origin, or a forward proxy) speaks TLS. */
function usesTls(plan: TransportPlan): boolean {
  return plan.route.kind === 'forward'
    ? plan.route.proxy.protocol === 'https:'
    : plan.target.protocol === 'https:';
}

function createAgent(plan: TransportPlan, signal: AbortSignal, progress: TunnelProgress): HttpAgent {
  const tls: HttpsAgentOptions =
    plan.ca !== undefined ? { ca: plan.ca as string | Buffer | Array<string | Buffer> } : {};
  switch (plan.route.kind) {
    case 'tunnel':
      return new TunnelingAgent(plan.route.proxy, signal, progress, tls);
    case 'forward':
      return plan.route.proxy.protocol === 'https:' ? new HttpsAgent(tls) : new HttpAgent();
    case 'direct': {
      if (plan.target.protocol === 'https:') return new HttpsAgent(tls);
      // Clear text is accepted for loopback only; a name must prove it by what it resolves to.
      const guard = !plan.allowInsecureHttp && isIP(bare(plan.target.hostname)) === 0;
      return new HttpAgent(guard ? { lookup: loopbackOnlyLookup(plan.resolve) } : {});
    }
  }
}

function endpointOptions(plan: TransportPlan, path: string, headers: OutgoingHttpHeaders): RequestOptions {
  const { target, route } = plan;
  if (route.kind === 'forward') {
    const proxyHost = route.proxy.hostname;
    return {
      host: proxyHost,
      port: route.proxy.port,
      // Absolute form: the proxy learns the target from the request line and Host.
      path: `${target.origin}${path}`,
      headers: { ...headers, host: target.host },
      // Node would otherwise name the target (from Host) in SNI and check the proxy's certificate against it.
      ...(route.proxy.protocol === 'https:' && { servername: isIP(proxyHost) === 0 ? proxyHost : '' }),
    };
  }
  return {
    host: bare(target.hostname),
    port: Number(target.port) || (target.protocol === 'https:' ? 443 : 80),
    path,
    headers,
  };
}

function splitHeaders(source: AxiosTransportOptions['headers']): {
  headers: OutgoingHttpHeaders;
  held: Array<[string, string | string[]]>;
} {
  const headers: OutgoingHttpHeaders = {};
  const held: Array<[string, string | string[]]> = [];
  for (const [name, value] of Object.entries(source ?? {})) {
    if (value === undefined) continue;
    const copy = Array.isArray(value) ? [...(value as readonly string[])] : (value as string | number);
    if (HELD_BACK.has(name.toLowerCase())) held.push([name, Array.isArray(copy) ? copy : String(copy)]);
    else headers[name] = copy;
  }
  return { headers, held };
}

function bare(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '');
}
