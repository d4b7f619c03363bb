import { dopplerError, type PlannedResponse } from './emulator-errors.js';

/**
 * The string properties a JSON request body must have, or Doppler's 400 for the first one
 * missing. A body that is not a JSON object is a 400 too; its text is never echoed.
 */
export function readJsonStrings<K extends string>(
  body: string,
  names: readonly K[],
): Readonly<Record<K, string>> | PlannedResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return dopplerError(400, 'Request body must be a JSON object');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return dopplerError(400, 'Request body must be a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  const values: Partial<Record<K, string>> = {};
  for (const name of names) {
    const value = record[name];
    if (typeof value !== 'string' || value === '') {
      return dopplerError(400, `You must specify a ${name}`);
    }
    values[name] = value;
  }
  return values as Record<K, string>;
}
