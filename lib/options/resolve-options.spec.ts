import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import type { DopplerModuleOptions } from '../interfaces/doppler-module-options.interface.js';
import { resolveModuleOptions, resolveOptions, withToken } from './resolve-options.js';

const CANARY = 'CANARYtok3n9x';

function failure(options: Partial<DopplerModuleOptions>): DopplerConfigurationError {
  try {
    resolveOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(DopplerConfigurationError);
    const e = error as DopplerConfigurationError;
    expect(e.code).toBe('DOPPLER_INVALID_OPTIONS');
    expect(`${e.message}${e.stack}${inspect(e, { showHidden: true })}`).not.toContain(CANARY);
    return e;
  }
  throw new Error('expected resolveOptions to throw');
}

describe('resolveOptions', () => {
  it('accepts a service token alone and fills the defaults', () => {
    const resolved = resolveOptions({ token: `dp.st.prd.${CANARY}` });
    expect(resolved.tokenKind).toBe('service');
    expect(resolved.apiUrl.href).toBe('https://api.doppler.com/');
    expect(resolved.timeout).toBe(5000);
    expect(resolved.maxResponseBytes).toBe(1024 * 1024);
    expect(resolved.project).toBeUndefined();
  });

  it('trims a trailing newline from a token read from a file', () => {
    expect(resolveOptions({ token: `dp.st.x.${CANARY}\n` }).token).toBe(`dp.st.x.${CANARY}`);
  });

  it.each([
    ['dp.sa.', 'service_account'],
    ['dp.said.', 'oidc'],
    ['dp.pt.', 'personal'],
    ['dp.ct.', 'cli'],
  ])('a %s token needs project and config', (prefix, kind) => {
    const token = `${prefix}${CANARY}`;
    expect(failure({ token }).message).toMatch(/project and config are missing/);
    expect(failure({ token }).message).toContain(prefix);
    expect(failure({ token, project: 'shop' }).message).toMatch(/config is missing/);
    expect(failure({ token, config: 'prd' }).message).toMatch(/project is missing/);
    expect(resolveOptions({ token, project: 'shop', config: 'prd' }).tokenKind).toBe(kind);
  });

  it.each(['dp.scim.', 'dp.audit.'])('refuses a %s token, which cannot read secrets', (prefix) => {
    const message = failure({ token: `${prefix}${CANARY}`, project: 'p', config: 'c' }).message;
    expect(message).toContain(`${prefix} token cannot read secrets`);
    expect(message).toContain('dp.st.');
  });

  it('asks for project and config when the token has no known prefix', () => {
    expect(failure({ token: CANARY }).message).toMatch(/no recognised Doppler prefix/);
    expect(resolveOptions({ token: CANARY, project: 'p', config: 'c' }).tokenKind).toBe('unknown');
  });

  it.each([
    [undefined, /missing or empty/],
    ['', /missing or empty/],
    ['   ', /missing or empty/],
    [`dp.st.${CANARY} x`, /cannot be sent in a header/],
    [`dp.st.${CANARY}\u00e9`, /cannot be sent in a header/],
    [42, /missing or empty/],
  ])('refuses a malformed token (%#)', (token, pattern) => {
    expect(failure({ token } as unknown as DopplerModuleOptions).message).toMatch(pattern);
  });

  it('refuses missing options', () => {
    expect(failure(undefined as unknown as DopplerModuleOptions).message).toMatch(/options are missing/);
  });

  it.each([
    ['http://api.doppler.com', /must use https/],
    ['ftp://api.doppler.com', /must use https/],
    ['not a url', /not a valid URL/],
    [`https://${CANARY}@api.doppler.com`, /must not carry credentials/],
    ['https://api.doppler.com/?x=1', /must not carry credentials, a query/],
  ])('refuses apiUrl %s', (apiUrl, pattern) => {
    expect(failure({ token: 'dp.st.x', apiUrl }).message).toMatch(pattern);
  });

  it.each(['http://127.0.0.1:4000', 'http://localhost:4000', 'http://[::1]:4000', 'http://127.8.0.1'])(
    'accepts plain http to loopback %s',
    (apiUrl) => {
      expect(resolveOptions({ token: 'dp.st.x', apiUrl }).apiUrl.protocol).toBe('http:');
    },
  );

  it('keeps a path prefix of apiUrl without its trailing slash', () => {
    expect(
      resolveOptions({ token: 'dp.st.x', apiUrl: 'https://gw.example.com/doppler/' }).apiUrl.pathname,
    ).toBe('/doppler');
  });

  it.each([0, -1, 1.5, Number.NaN, 10_000_000, '5000'])('refuses timeout %s', (timeout) => {
    expect(failure({ token: 'dp.st.x', timeout } as unknown as DopplerModuleOptions).message).toMatch(
      /timeout option must be a whole number/,
    );
  });

  // One rule with the fallback store's own check (options/check-number): a whole number, 1 or more.
  it.each([0, -1, 1.5, Number.NaN, '60000'])('refuses fallback.maxAge %s, naming the option', (maxAge) => {
    const fallback = { path: '/tmp/doppler-fallback', maxAge };
    expect(failure({ token: 'dp.st.x', fallback } as unknown as DopplerModuleOptions).message).toBe(
      `The fallback.maxAge option must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}.`,
    );
    expect(
      resolveOptions({ token: 'dp.st.x', fallback: { path: '/tmp/f', maxAge: 1 } }).fallback?.maxAge,
    ).toBe(1);
  });

  it('refuses a project or config that is not a Doppler name', () => {
    expect(failure({ token: 'dp.st.x', project: 'a b' }).message).toMatch(/project option/);
    expect(failure({ token: 'dp.st.x', config: 'c/../d' }).message).toMatch(/config option/);
  });

  it('refuses a schema that is not a class', () => {
    expect(
      failure({ token: 'dp.st.x', schema: {} as unknown as DopplerModuleOptions['schema'] }).message,
    ).toMatch(/must be a class/);
  });
});

describe('refresh.watch', () => {
  const token = `dp.st.dev.${CANARY}`;

  it('defaults the safety-net interval to 5 minutes with watch, and keeps one that is given', () => {
    expect(resolveOptions({ token, refresh: { watch: true } }).refresh).toEqual({
      interval: 300_000,
      jitter: 0.1,
      watch: true,
    });
    expect(resolveOptions({ token, refresh: { watch: true, interval: 60_000 } }).refresh).toMatchObject({
      interval: 60_000,
      watch: true,
    });
    expect(resolveOptions({ token, refresh: { watch: false, interval: 1000 } }).refresh).toEqual({
      interval: 1000,
      jitter: 0.1,
    });
  });

  it('still needs an interval without watch, and refuses a watch that is not a boolean', () => {
    expect(failure({ token, refresh: {} }).message).toMatch(
      /refresh\.interval option must be a whole number/,
    );
    expect(failure({ token, refresh: { watch: 'yes' as never } }).message).toMatch(
      /refresh\.watch option must be true or false/,
    );
    expect(failure({ token, refresh: { watch: true, wacth: true } as never }).message).toMatch(
      /did you mean "refresh\.watch"/,
    );
  });

  it('refuses watch for a source without the stream', async () => {
    const { resolveModuleOptions } = await import('./resolve-options.js');
    expect(() =>
      resolveModuleOptions(
        { source: 'env', schema: class {}, refresh: { watch: true } },
        { DOPPLER_PROJECT: 'p', DOPPLER_CONFIG: 'c' },
      ),
    ).toThrow(/only the API source has/);
  });
});

describe('withToken', () => {
  const resolved = resolveModuleOptions({ token: 'dp.st.prd.0123456789abcdefghij' }, {});

  it('takes the token option as resolveModuleOptions checked it (no second check per session)', () => {
    const options = withToken(resolved, 'dp.st.prd.0123456789abcdefghij');
    expect(options.token).toBe('dp.st.prd.0123456789abcdefghij');
    expect(options.tokenKind).toBe('service');
  });

  it('still checks any other token (a token file read, an exchanged token)', () => {
    expect(() => withToken(resolved, '"dp.st.prd.0123456789abcdefghij"')).toThrow(DopplerConfigurationError);
    expect(() => withToken(resolved, 'dp.scim.0123456789abcdefghij')).toThrow(/cannot read secrets/);
    expect(withToken(resolved, ' dp.st.dev.abcdefghij0123456789\n').token).toBe(
      'dp.st.dev.abcdefghij0123456789',
    );
  });
});
