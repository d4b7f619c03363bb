import { describe, expect, it } from 'vitest';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { resolveModuleOptions } from './resolve-options.js';
import { checkTelemetryOptions } from './check-telemetry-options.js';

describe('the telemetry option', () => {
  it('defaults to on, without names', () => {
    expect(checkTelemetryOptions(undefined)).toEqual({ enabled: true, includeSecretNames: false });
    expect(checkTelemetryOptions({ includeSecretNames: true })).toEqual({
      enabled: true,
      includeSecretNames: true,
    });
  });

  it('is checked with the other options', () => {
    const resolved = resolveModuleOptions({ token: 'dp.st.prd.abc', telemetry: { enabled: false } });
    expect(resolved.telemetry).toEqual({ enabled: false, includeSecretNames: false });
  });

  it.each([
    [null, 'must be an object'],
    [true, 'must be an object'],
    [{ includeNames: true }, 'no option "includeNames"'],
    [{ enabled: 'yes' }, 'telemetry.enabled option must be true or false'],
    [{ includeSecretNames: 1 }, 'telemetry.includeSecretNames option must be true or false'],
  ])('refuses %j', (raw, message) => {
    expect(() => resolveModuleOptions({ token: 'dp.st.prd.abc', telemetry: raw as never })).toThrow(
      DopplerConfigurationError,
    );
    expect(() => checkTelemetryOptions(raw as never)).toThrow(message);
  });
});
