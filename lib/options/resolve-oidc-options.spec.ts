import { describe, expect, it } from 'vitest';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { resolveModuleOptions } from './resolve-options.js';

const getToken = () => 'a.b.c';
const base = { project: 'shop', config: 'prd' } as const;

function refusal(options: Record<string, unknown>): string {
  try {
    resolveModuleOptions(options, {});
  } catch (error) {
    expect(error).toBeInstanceOf(DopplerConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected the options to be refused');
}

describe('the oidc option', () => {
  it('resolves to an OIDC credential for the API, with tokenFile or getToken', () => {
    const file = resolveModuleOptions({ ...base, oidc: { identity: 'pod', tokenFile: '/run/token' } }, {});
    expect(file.source).toBe('api');
    expect(file.credential).toEqual({
      kind: 'oidc',
      identity: 'pod',
      jwt: { kind: 'file', path: '/run/token' },
    });
    const fn = resolveModuleOptions({ ...base, source: 'api', oidc: { identity: 'pod', getToken } }, {});
    expect(fn.credential).toMatchObject({ kind: 'oidc', jwt: { kind: 'function', get: getToken } });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'a token beside it',
      { ...base, token: 'dp.st.x.y', oidc: { identity: 'pod', getToken } },
      /either the oidc option or token/,
    ],
    [
      'a token file beside it',
      { ...base, tokenFile: '/t', oidc: { identity: 'pod', getToken } },
      /either the oidc option or tokenFile/,
    ],
    ['no config', { project: 'shop', oidc: { identity: 'pod', getToken } }, /config is missing/],
    ['neither project nor config', { oidc: { identity: 'pod', getToken } }, /project and config are missing/],
    [
      'both JWT sources',
      { ...base, oidc: { identity: 'pod', getToken, tokenFile: '/t' } },
      /either oidc\.tokenFile or oidc\.getToken/,
    ],
    ['no JWT source', { ...base, oidc: { identity: 'pod' } }, /oidc\.tokenFile .* or oidc\.getToken/],
    ['an unknown key', { ...base, oidc: { identity: 'pod', getToken, audience: 'x' } }, /audience/],
    ['no identity', { ...base, oidc: { getToken } }, /oidc\.identity option must be the identity's id/],
    ['an identity with spaces', { ...base, oidc: { identity: 'my pod', getToken } }, /spaces or characters/],
    [
      'getToken not a function',
      { ...base, oidc: { identity: 'pod', getToken: 'a.b.c' } },
      /must be a function/,
    ],
    ['a blank tokenFile', { ...base, oidc: { identity: 'pod', tokenFile: ' ' } }, /must be the path/],
    [
      'a mounted volume',
      { ...base, mounted: { path: '/m' }, oidc: { identity: 'pod', getToken } },
      /mounted option reads the secrets from a volume/,
    ],
    [
      'source env',
      { ...base, source: 'env', oidc: { identity: 'pod', getToken } },
      /source option says 'env'/,
    ],
    [
      'a fallback',
      { ...base, fallback: { path: '/f' }, oidc: { identity: 'pod', getToken } },
      /fallback option does not work with oidc/,
    ],
    ['not an object', { ...base, oidc: 'pod' }, /must be an object/],
  ])('refuses %s', (_what, options, message) => {
    expect(refusal(options)).toMatch(message);
  });
});
