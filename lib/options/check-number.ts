import { DopplerConfigurationError } from '../errors/doppler.errors.js';

/**
 * A whole number option within [min, max], or a configuration error naming the option as the
 * user writes it (`refresh.interval`, `fallback.maxAge`).
 */
export function checkWholeNumber(name: string, raw: unknown, min: number, max: number): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
    throw new DopplerConfigurationError(`The ${name} option must be a whole number from ${min} to ${max}.`);
  }
  return raw;
}

export function checkPositiveInt(name: string, raw: unknown, max: number): number {
  return checkWholeNumber(name, raw, 1, max);
}

/**
 * The one rule for the fallback copy's age limit, in milliseconds: the module's options and the
 * fallback store both check it here, so they cannot disagree.
 */
export function checkFallbackMaxAge(raw: unknown): number {
  return checkPositiveInt('fallback.maxAge', raw, Number.MAX_SAFE_INTEGER);
}
