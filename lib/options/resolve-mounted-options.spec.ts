import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import type { DopplerModuleOptions } from '../interfaces/doppler-module-options.interface.js';
import { resolveModuleOptions } from './resolve-options.js';

const NO_RUN_ENV = {};

function refused(options: unknown): string {
  try {
    resolveModuleOptions(options as DopplerModuleOptions, NO_RUN_ENV);
  } catch (error) {
    expect(error).toBeInstanceOf(DopplerConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected the options to be refused');
}

describe("resolveModuleOptions: the mounted option and source 'mounted'", () => {
  it('auto picks the mounted volume when the option is given, before any token (none is needed)', () => {
    const resolved = resolveModuleOptions({ mounted: { path: '/etc/secrets/doppler' } }, NO_RUN_ENV);
    expect(resolved).toMatchObject({
      source: 'mounted',
      mounted: { path: '/etc/secrets/doppler', pollInterval: 30_000 },
    });
    expect(resolved.credential).toBeUndefined();
    const withToken = resolveModuleOptions({ mounted: { path: '/m' }, token: 'dp.st.dev.x' }, NO_RUN_ENV);
    expect(withToken.source).toBe('mounted');
    expect(withToken.credential).toBeUndefined();
  });

  it("source 'mounted' selects it explicitly; a relative path is resolved once; pollInterval is checked", () => {
    expect(
      resolveModuleOptions({ source: 'mounted', mounted: { path: 'secrets', pollInterval: 100 } }, NO_RUN_ENV)
        .mounted,
    ).toEqual({ path: resolve('secrets'), pollInterval: 100 });
    expect(refused({ mounted: { path: '/m', pollInterval: 99 } })).toMatch(
      /mounted.pollInterval option must be a whole number from 100 to 86400000/,
    );
    expect(refused({ mounted: { path: '/m', pollInterval: '5000' } })).toMatch(/mounted.pollInterval/);
  });

  it.each<[string, unknown, RegExp]>([
    [
      "source 'mounted' without the option",
      { source: 'mounted' },
      /'mounted' source needs the mounted option/,
    ],
    [
      "the option with source 'api'",
      { source: 'api', token: 'dp.st.x', mounted: { path: '/m' } },
      /source option says 'api'/,
    ],
    ["the option with source 'env'", { source: 'env', mounted: { path: '/m' } }, /source option says 'env'/],
    [
      'an unknown sub-option, with the nearest one',
      { mounted: { path: '/m', pollIntreval: 1000 } },
      /mounted option has no option "pollIntreval"; did you mean "mounted.pollInterval"\?/,
    ],
    ['a string instead of an object', { mounted: '/m' }, /mounted option must be an object/],
    ['an array', { mounted: ['/m'] }, /mounted option must be an object/],
    ['no path', { mounted: {} }, /mounted.path option must be the directory/],
    ['an empty path', { mounted: { path: '  ' } }, /mounted.path option must be the directory/],
    [
      'a path with a trailing newline (an env var, a YAML block)',
      { mounted: { path: '/m\n' } },
      /starts or ends with whitespace/,
    ],
    ['a path with a NUL', { mounted: { path: '/m\0x' } }, /NUL/],
    [
      'with fallback',
      { mounted: { path: '/m' }, fallback: { path: '/f' } },
      /mounted volume is read locally/,
    ],
    ['an unknown source', { source: 'volume' }, /must be 'api', 'env', 'mounted' or 'auto'/],
  ])('refuses %s', (_label, options, message) => {
    expect(refused(options)).toMatch(message);
  });

  it('is a known top-level option, and named when auto finds nothing', () => {
    expect(refused({ mountd: { path: '/m' } })).toMatch(/did you mean "mounted"\?/);
    expect(refused({})).toMatch(/mounted: \{ path \}/);
  });
});
