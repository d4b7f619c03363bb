/** Project and config a set belongs to, as errors and metadata name them. */
export interface DopplerScope {
  readonly project?: string;
  readonly config?: string;
}

/**
 * Where a raw set says it comes from: Doppler's own `DOPPLER_PROJECT`, `DOPPLER_CONFIG` and
 * `DOPPLER_ENVIRONMENT` (in a download and under `doppler run` alike), else the options.
 */
export function dopplerScopeOf(
  raw: Readonly<Record<string, string>>,
  fromOptions: DopplerScope,
): { scope: DopplerScope; environment?: string } {
  const project = raw['DOPPLER_PROJECT'] ?? fromOptions.project;
  const config = raw['DOPPLER_CONFIG'] ?? fromOptions.config;
  const environment = raw['DOPPLER_ENVIRONMENT'];
  return {
    scope: { ...(project && { project }), ...(config && { config }) },
    ...(environment && { environment }),
  };
}

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
