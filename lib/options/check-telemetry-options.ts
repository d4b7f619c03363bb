import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import type { DopplerTelemetryOptions } from '../interfaces/doppler-module-options.interface.js';
import type { ResolvedTelemetryOptions } from '../telemetry/doppler-telemetry.js';

const KNOWN = ['enabled', 'includeSecretNames'];

/**
 * Checks the telemetry option.
 * @throws {DopplerConfigurationError} for a key it does not have, or a flag that is not a boolean.
 */
export function checkTelemetryOptions(raw: DopplerTelemetryOptions | undefined): ResolvedTelemetryOptions {
  if (raw === undefined) return { enabled: true, includeSecretNames: false };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DopplerConfigurationError(
      'The telemetry option must be an object such as { enabled: true, includeSecretNames: false }.',
    );
  }
  for (const key of Object.keys(raw)) {
    if (!KNOWN.includes(key)) {
      throw new DopplerConfigurationError(
        `The telemetry option has no option "${key.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}". Known: ${KNOWN.join(', ')}.`,
      );
    }
  }
  const flag = (name: 'enabled' | 'includeSecretNames', fallback: boolean): boolean => {
    const value: unknown = raw[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      throw new DopplerConfigurationError(`The telemetry.${name} option must be true or false.`);
    }
    return value;
  };
  return { enabled: flag('enabled', true), includeSecretNames: flag('includeSecretNames', false) };
}
