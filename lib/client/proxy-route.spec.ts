import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { planRoute, type ClientEnv, type Route } from './proxy-route.js';

const P = 'http://proxy.corp:3128';

function describeRoute(route: Route): string {
  return route.kind === 'direct'
    ? `direct (${route.why})`
    : `${route.kind} ${route.proxy.address} ${route.proxy.variable}`;
}

const plan = (url: string, env: ClientEnv) => describeRoute(planRoute(new URL(url), env));

describe('planRoute: which proxy, if any, a request goes through', () => {
  it.each<[string, string, ClientEnv, string]>([
    ['no proxy set', 'https://api.doppler.com', {}, 'direct (none-set)'],
    ['HTTPS_PROXY', 'https://api.doppler.com', { HTTPS_PROXY: P }, 'tunnel proxy.corp:3128 HTTPS_PROXY'],
    [
      'https_proxy wins over HTTPS_PROXY (curl reads lowercase first)',
      'https://api.doppler.com',
      { https_proxy: 'http://low:1', HTTPS_PROXY: 'http://up:2' },
      'tunnel low:1 https_proxy',
    ],
    [
      'ALL_PROXY when no https proxy',
      'https://api.doppler.com',
      { ALL_PROXY: P },
      'tunnel proxy.corp:3128 ALL_PROXY',
    ],
    [
      'all_proxy before ALL_PROXY',
      'https://api.doppler.com',
      { all_proxy: 'http://low:1', ALL_PROXY: 'http://up:2' },
      'tunnel low:1 all_proxy',
    ],
    [
      'an empty HTTPS_PROXY is unset',
      'https://api.doppler.com',
      { HTTPS_PROXY: '  ', ALL_PROXY: P },
      'tunnel proxy.corp:3128 ALL_PROXY',
    ],
    [
      'HTTP_PROXY is not for https: targets',
      'https://api.doppler.com',
      { HTTP_PROXY: P, http_proxy: P },
      'direct (none-set)',
    ],
    [
      'NO_PROXY exempts the host',
      'https://api.doppler.com',
      { HTTPS_PROXY: P, NO_PROXY: '.doppler.com' },
      'direct (no-proxy)',
    ],
    [
      'no_proxy is read before NO_PROXY',
      'https://api.doppler.com',
      { HTTPS_PROXY: P, no_proxy: 'other.com', NO_PROXY: 'doppler.com' },
      'tunnel proxy.corp:3128 HTTPS_PROXY',
    ],
    [
      'NO_PROXY with the default port',
      'https://api.doppler.com',
      { HTTPS_PROXY: P, NO_PROXY: 'api.doppler.com:443' },
      'direct (no-proxy)',
    ],
    [
      'a proxy without a scheme is http://',
      'https://api.doppler.com',
      { HTTPS_PROXY: 'proxy.corp:3128' },
      'tunnel proxy.corp:3128 HTTPS_PROXY',
    ],
    [
      'a proxy without a port gets its scheme default',
      'https://api.doppler.com',
      { HTTPS_PROXY: 'https://proxy.corp' },
      'tunnel proxy.corp:443 HTTPS_PROXY',
    ],
    [
      'an IPv6 proxy',
      'https://api.doppler.com',
      { HTTPS_PROXY: 'http://[fd00::1]:3128' },
      'tunnel [fd00::1]:3128 HTTPS_PROXY',
    ],
    // Loopback targets never go through a proxy, whatever the environment says.
    [
      'loopback 127.0.0.1 over http',
      'http://127.0.0.1:8787',
      { http_proxy: P, HTTP_PROXY: P, ALL_PROXY: P },
      'direct (loopback)',
    ],
    ['loopback localhost over https', 'https://localhost:8443', { HTTPS_PROXY: P }, 'direct (loopback)'],
    ['loopback ::1', 'http://[::1]:8787', { http_proxy: P }, 'direct (loopback)'],
    ['loopback *.localhost', 'http://emulator.localhost:8787', { http_proxy: P }, 'direct (loopback)'],
    // Plain http: targets (dangerouslyAllowInsecureHttp) use lowercase http_proxy only (httpoxy).
    [
      'http_proxy for an http: target',
      'http://doppler.internal',
      { http_proxy: P },
      'forward proxy.corp:3128 http_proxy',
    ],
    ['HTTP_PROXY is ignored (httpoxy)', 'http://doppler.internal', { HTTP_PROXY: P }, 'direct (none-set)'],
    [
      'ALL_PROXY for an http: target',
      'http://doppler.internal',
      { ALL_PROXY: P },
      'forward proxy.corp:3128 ALL_PROXY',
    ],
  ])('%s', (_name, url, env, expected) => {
    expect(plan(url, env)).toBe(expected);
  });

  it.each(['socks5://proxy.corp:1080', 'ftp://proxy.corp', 'http://'])(
    'refuses a proxy it cannot use (%s) with a configuration error naming the variable',
    (value) => {
      let error: unknown;
      try {
        planRoute(new URL('https://api.doppler.com'), { HTTPS_PROXY: value });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DopplerConfigurationError);
      expect((error as Error).message).toContain('HTTPS_PROXY');
    },
  );

  it('decodes proxy credentials for Proxy-Authorization and never shows them', () => {
    const route = planRoute(new URL('https://api.doppler.com'), {
      HTTPS_PROXY: 'http://us%40er:CANARY%3Apass@proxy.corp:3128',
    });
    if (route.kind !== 'tunnel') throw new Error('expected a tunnel');
    expect(route.proxy.authorization()).toBe(`Basic ${Buffer.from('us@er:CANARY:pass').toString('base64')}`);
    const shown = [
      inspect(route, { showHidden: true, depth: 10 }),
      JSON.stringify(route),
      route.proxy.address,
    ].join('\n');
    expect(shown).not.toMatch(/CANARY|us@er|us%40er/);
    expect(shown).not.toContain(Buffer.from('us@er:CANARY:pass').toString('base64'));
  });
});
