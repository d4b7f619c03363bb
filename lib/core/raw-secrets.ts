/**
 * Doppler's strings for the exposed keys, for redaction. `true`/`false` are left out: a
 * boolean's text is everywhere in ordinary logs.
 */
export function rawFormsOf(
  values: Readonly<Record<string, unknown>>,
  raw: Readonly<Record<string, string>>,
): string[] {
  const forms: string[] = [];
  for (const key of Object.keys(values)) {
    const form = raw[key];
    if (form !== undefined && form !== 'true' && form !== 'false') forms.push(form);
  }
  return forms;
}
