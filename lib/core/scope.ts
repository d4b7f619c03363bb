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

/** `project "shop", config "dev"` (only the fields known), safe to print. */
export function describeScope(scope: DopplerScope, fallback = 'the token’s project and config'): string {
  const parts = [
    scope.project !== undefined && `project "${printable(scope.project, 64)}"`,
    scope.config !== undefined && `config "${printable(scope.config, 64)}"`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : fallback;
}

/** The fields both scopes name, on which they disagree. */
export function scopeConflicts(a: DopplerScope, b: DopplerScope): ('project' | 'config')[] {
  return (['project', 'config'] as const).filter(
    (field) => a[field] !== undefined && b[field] !== undefined && a[field] !== b[field],
  );
}
