import { dopplerError, type PlannedResponse } from './emulator-errors.js';

/** A parameter read from the query: its value, or Doppler's 400 for a value it does not accept. */
export type QueryParam<T> = { readonly value: T } | { readonly error: PlannedResponse };

const INT32_MAX = 2 ** 31 - 1;

/**
 * Reads an enum parameter; absent gives `fallback`. An empty or unlisted value is a 400 naming
 * the accepted values, never silently the default.
 *
 * @example
 * readEnumParam(query, 'format', SECRETS_FORMATS, 'format', 'json');
 */
export function readEnumParam<T extends string, F extends T | undefined>(
  query: URLSearchParams,
  name: string,
  allowed: readonly T[],
  label: string,
  fallback: F,
): QueryParam<T | F> {
  const raw = query.get(name);
  if (raw === null) return { value: fallback };
  if ((allowed as readonly string[]).includes(raw)) return { value: raw as T };
  return { error: dopplerError(400, `Invalid ${label}. Supported ${label}s: ${allowed.join(', ')}`) };
}

/** Reads a boolean parameter as Doppler's clients send it: `true` or `false`, nothing else. */
export function readBooleanParam(
  query: URLSearchParams,
  name: string,
  fallback: boolean,
): QueryParam<boolean> {
  const raw = query.get(name);
  if (raw === null) return { value: fallback };
  if (raw === 'true' || raw === 'false') return { value: raw === 'true' };
  return { error: dopplerError(400, `Invalid ${name}: must be true or false`) };
}

/** Reads a positive whole number that fits the document's `int32` (a count of seconds, say). */
export function readPositiveInt32Param(
  query: URLSearchParams,
  name: string,
  fallback: number,
): QueryParam<number> {
  const raw = query.get(name);
  if (raw === null) return { value: fallback };
  const value = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (value >= 1 && value <= INT32_MAX) return { value };
  return { error: dopplerError(400, `Invalid ${name}: must be a whole number from 1 to ${INT32_MAX}`) };
}
