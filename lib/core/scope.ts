import { printable } from './printable.js';

/** The Doppler project and config a set of secrets belongs to. */
export interface DopplerScope {
  readonly project?: string;
  readonly config?: string;
}

/**
 * Where a raw set says it comes from: Doppler's own `DOPPLER_PROJECT`, `DOPPLER_CONFIG` and
 * `DOPPLER_ENVIRONMENT` (in a download and under `doppler run` alike), else `fromOptions`.
 */
export function scopeOfSet(
  raw: Readonly<Record<string, string>>,
  fromOptions: DopplerScope = {},
): { scope: DopplerScope; environment?: string } {
  const project = raw['DOPPLER_PROJECT'] || fromOptions.project;
  const config = raw['DOPPLER_CONFIG'] || fromOptions.config;
  const environment = raw['DOPPLER_ENVIRONMENT'];
  return {
    scope: { ...(project && { project }), ...(config && { config }) },
    ...(environment && { environment }),
  };
}

// dp.st.<config>.<key>: the config slug of a service token is public (Doppler prints it).
const SERVICE_TOKEN_CONFIG = /^dp\.st\.([A-Za-z0-9_-]{1,128})\.[^.]+$/;

/** The config a service token names in its prefix (`dp.st.dev.…` → `dev`), when it has one. */
export function configOfServiceToken(token: string): string | undefined {
  return SERVICE_TOKEN_CONFIG.exec(token)?.[1];
}

/**
 * `project "shop", config "dev"`, safe to print: the fields known, or exactly `fields` (a missing
 * one as `(none)`), or `fallback` when nothing is known.
 */
export function describeScope(
  scope: DopplerScope,
  fallback = 'the token’s project and config',
  fields?: readonly ('project' | 'config')[],
): string {
  const shown = fields ?? (['project', 'config'] as const).filter((field) => scope[field] !== undefined);
  if (shown.length === 0) return fallback;
  return shown
    .map((field) => {
      const value = scope[field];
      return value === undefined ? `${field} (none)` : `${field} "${printable(value, 64)}"`;
    })
    .join(', ');
}

/** The fields both scopes name, on which they disagree. */
export function scopeConflicts(a: DopplerScope, b: DopplerScope): ('project' | 'config')[] {
  return (['project', 'config'] as const).filter(
    (field) => a[field] !== undefined && b[field] !== undefined && a[field] !== b[field],
  );
}
