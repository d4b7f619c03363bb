import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { bypassesProxy, parseNoProxy } from './no-proxy.js';
import { isLoopbackHost } from './loopback.js';

/** The environment the client reads its proxy settings from (`process.env` by default). */
export type ClientEnv = Readonly<Record<string, string | undefined>>;

/**
 * A forward proxy from the environment. Its credentials are held in a private field: the
 * endpoint may be described in an error, the credentials never are.
 */
export class ProxyEndpoint {
  /** `http:` or `https:`: how this app talks to the proxy itself. */
  readonly protocol: 'http:' | 'https:';
  /** Host name or address, IPv6 without brackets. */
  readonly hostname: string;
  readonly port: number;
  /** The environment variable it came from, e.g. `HTTPS_PROXY`, for messages. */
  readonly variable: string;
  readonly #authorization: string | undefined;

  constructor(url: URL, variable: string) {
    this.protocol = url.protocol as 'http:' | 'https:';
    this.hostname = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    this.variable = variable;
    this.#authorization =
      url.username === '' && url.password === ''
        ? undefined
        : `Basic ${Buffer.from(`${safeDecode(url.username)}:${safeDecode(url.password)}`).toString('base64')}`;
  }

  /** `host:port` as a person would write it; never the credentials. */
  get address(): string {
    return `${this.hostname.includes(':') ? `[${this.hostname}]` : this.hostname}:${this.port}`;
  }

  /** The `Proxy-Authorization` value, when the proxy URL carried credentials. */
  authorization(): string | undefined {
    return this.#authorization;
  }

  toJSON(): object {
    return { protocol: this.protocol, address: this.address, variable: this.variable };
  }
}

/** How a request reaches the API. */
export type Route =
  /** Straight to the host; `why` says why no proxy applies, for messages. */
  | { readonly kind: 'direct'; readonly why: 'loopback' | 'no-proxy' | 'none-set' }
  /** An https: target through a CONNECT tunnel: the proxy sees the host name, nothing else. */
  | { readonly kind: 'tunnel'; readonly proxy: ProxyEndpoint }
  /** A plain http: target through a forward proxy in absolute form: the proxy sees everything. */
  | { readonly kind: 'forward'; readonly proxy: ProxyEndpoint };

/**
 * Picks the route for `target` as curl does: `https_proxy`/`HTTPS_PROXY` for https: targets
 * and only lowercase `http_proxy` for http: ones (an `HTTP_PROXY` header of a CGI request
 * becomes that variable: "httpoxy"), then `all_proxy`/`ALL_PROXY`; `no_proxy`/`NO_PROXY`
 * exempts hosts (see {@link parseNoProxy}). A loopback target never goes through a proxy,
 * whatever the environment says: the token would leave the machine, in clear text for http:.
 *
 * @throws {DopplerConfigurationError} when the chosen variable is not an http(s) proxy URL.
 */
export function planRoute(target: URL, env: ClientEnv): Route {
  if (isLoopbackHost(target.hostname)) return { kind: 'direct', why: 'loopback' };
  const names =
    target.protocol === 'https:'
      ? ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']
      : ['http_proxy', 'all_proxy', 'ALL_PROXY'];
  const variable = names.find((name) => (env[name] ?? '').trim() !== '');
  if (variable === undefined) return { kind: 'direct', why: 'none-set' };
  const noProxy = parseNoProxy(firstSet(env, ['no_proxy', 'NO_PROXY']));
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
  if (bypassesProxy(noProxy, target.hostname, port)) return { kind: 'direct', why: 'no-proxy' };
  const proxy = new ProxyEndpoint(parseProxyUrl(env[variable] ?? '', variable), variable);
  return target.protocol === 'https:' ? { kind: 'tunnel', proxy } : { kind: 'forward', proxy };
}

function firstSet(env: ClientEnv, names: readonly string[]): string | undefined {
  return names.map((name) => env[name]).find((value) => value !== undefined && value.trim() !== '');
}

function parseProxyUrl(raw: string, variable: string): URL {
  const text = raw.trim();
  // curl reads a proxy without a scheme as http://.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new DopplerConfigurationError(
      `${variable} is not a valid proxy URL; use a form such as http://proxy.example:3128, or unset it.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DopplerConfigurationError(
      `${variable} names a ${url.protocol} proxy (${url.host}), which this module does not support; ` +
        'use an http:// or https:// proxy, or exempt the Doppler host with NO_PROXY.',
    );
  }
  if (url.hostname === '') {
    throw new DopplerConfigurationError(
      `${variable} has no proxy host; use a form such as http://proxy.example:3128.`,
    );
  }
  return url;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
