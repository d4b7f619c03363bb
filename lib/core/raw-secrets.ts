/**
 * Doppler's strings for the exposed keys, for redaction. `true`/`false` are left out: a
 * boolean's text is everywhere in ordinary logs.
 */
export function rawFormsOf(
  values: Readonly<Record<string, unknown>>,
  raw: Readonly<Record<string, string>>,
): string[] {
  return Object.keys(values)
    .map((key) => raw[key])
    .filter((form): form is string => form !== undefined && form !== 'true' && form !== 'false');
}
