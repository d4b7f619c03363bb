import {
  DEFAULT_API_URL,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_REFRESH_JITTER,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
} from '../doppler.constants.js';
import { DopplerConfigurationError } from '../client/doppler.errors.js';
import type { DopplerModuleOptions } from '../interfaces/doppler-module-options.interface.js';
import {
  cannotReadSecrets,
  isScopedKind,
  tokenKindOf,
  tokenPrefixOf,
  type DopplerTokenKind,
} from './token-kind.js';
import { isLoopbackHost } from './loopback.js';
import type { SecretsSchema } from '../validation/validate-secrets.js';
import { isStandardSchema } from '../validation/validate-standard-schema.js';

/** Options after defaults and checks: what the rest of the module works with. */
export interface ResolvedDopplerOptions {
  readonly token: string;
  readonly tokenKind: DopplerTokenKind;
  readonly project?: string;
  readonly config?: string;
  readonly apiUrl: URL;
  /** Clear text to a host that is not loopback is accepted (the token travels unencrypted). */
  readonly dangerouslyAllowInsecureHttp: boolean;
  readonly timeout: number;
  readonly retries: number;
  readonly deadline: number;
  readonly maxResponseBytes: number;
  readonly schema?: SecretsSchema;
  readonly fallback?: ResolvedFallbackOptions;
  readonly tokenFile?: string;
  readonly refresh?: { readonly interval: number; readonly jitter: number };
  readonly webhook?: { readonly secret: string; readonly coalesceMs: number };
}

/** Fallback options with the passphrase settled. */
export interface ResolvedFallbackOptions {
  readonly path: string;
  readonly passphrase: string;
  readonly maxAge?: number;
}

// Printable ASCII only: anything else cannot go into an HTTP header, and Node's error for
// it would be thrown from deep inside the request.
const TOKEN_SHAPE = /^[\x21-\x7e]+$/;
const SLUG_SHAPE = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Checks the options and fills in defaults. Every problem it finds is reported before a
 * request is made, and no message it builds contains the token.
 *
 * @throws {DopplerConfigurationError} when an option is missing or wrong.
 */
export function resolveOptions(
  options: DopplerModuleOptions,
  tokenFromFile?: string,
): ResolvedDopplerOptions {
  if (options === null || typeof options !== 'object') {
    throw new DopplerConfigurationError(
      'DopplerModule options are missing: pass { token, schema } to forRoot() or return them from the forRootAsync() factory.',
    );
  }
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new DopplerConfigurationError(
      'Give either the token option or tokenFile, not both: tokenFile is re-read on every refresh, so the two could disagree.',
    );
  }
  const token = checkToken(
    options.tokenFile !== undefined ? tokenFromFile : options.token,
    options.tokenFile,
  );
  const tokenKind = tokenKindOf(token);
  const project = checkSlug('project', options.project);
  const config = checkSlug('config', options.config);

  if (cannotReadSecrets(tokenKind)) {
    throw new DopplerConfigurationError(
      `A ${tokenPrefixOf(tokenKind)} token cannot read secrets. Use a service token (dp.st.) scoped to the project and config this app needs.`,
    );
  }
  if (!isScopedKind(tokenKind) && (project === undefined || config === undefined)) {
    const missing = [project === undefined && 'project', config === undefined && 'config']
      .filter(Boolean)
      .join(' and ');
    const kind =
      tokenKind === 'unknown'
        ? 'The token has no recognised Doppler prefix (dp.st., dp.sa., dp.said., dp.pt., dp.ct.), so it'
        : `A ${tokenPrefixOf(tokenKind)} token is not bound to one config, so it`;
    throw new DopplerConfigurationError(
      `${kind} needs explicit project and config options; ${missing} ${missing.includes(' and ') ? 'are' : 'is'} missing. ` +
        'Pass them, or use a service token (dp.st.), which is scoped to one project and config.',
    );
  }
  if (
    options.schema !== undefined &&
    typeof options.schema !== 'function' &&
    !isStandardSchema(options.schema)
  ) {
    throw new DopplerConfigurationError(
      'The schema option must be a class decorated with class-validator (pass the class itself, not an instance) or a Standard Schema object (zod, valibot, arktype).',
    );
  }

  const fallback = checkFallback(options.fallback, token, project, config);
  return {
    token,
    tokenKind,
    ...(project !== undefined && { project }),
    ...(config !== undefined && { config }),
    apiUrl: checkApiUrl(options.apiUrl ?? DEFAULT_API_URL, options.dangerouslyAllowInsecureHttp === true),
    dangerouslyAllowInsecureHttp: options.dangerouslyAllowInsecureHttp === true,
    timeout: checkPositiveInt('timeout', options.timeout ?? DEFAULT_TIMEOUT_MS, 600_000),
    retries: checkWholeNumber('retries', options.retries ?? DEFAULT_RETRIES, 0, 10),
    deadline: checkPositiveInt('deadline', options.deadline ?? DEFAULT_DEADLINE_MS, 3_600_000),
    ...(options.tokenFile !== undefined && { tokenFile: options.tokenFile }),
    ...(options.refresh !== undefined && { refresh: checkRefresh(options.refresh) }),
    ...(options.webhook !== undefined && { webhook: checkWebhook(options.webhook) }),
    ...(fallback !== undefined && { fallback }),
    maxResponseBytes: checkPositiveInt(
      'maxResponseBytes',
      options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      64 * 1024 * 1024,
    ),
    ...(options.schema !== undefined && { schema: options.schema }),
  };
}

function checkToken(raw: unknown, tokenFile: string | undefined): string {
  const where = tokenFile !== undefined ? `The token file ${tokenFile}` : 'The Doppler token';
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new DopplerConfigurationError(
      `${where} is missing or empty. Inject a service token at runtime, e.g. the DOPPLER_TOKEN environment variable or a mounted file.`,
    );
  }
  // A token read from a mounted file or a .env line often carries a trailing newline.
  const token = raw.trim();
  if (!TOKEN_SHAPE.test(token)) {
    throw new DopplerConfigurationError(
      `${where} contains spaces or characters that cannot be sent in a header; check how it is injected (quotes, line breaks).`,
    );
  }
  return token;
}

function checkRefresh(raw: DopplerModuleOptions['refresh']): { interval: number; jitter: number } {
  if (raw === null || typeof raw !== 'object') {
    throw new DopplerConfigurationError('The refresh option must be an object such as { interval: 60000 }.');
  }
  const interval = checkWholeNumber('refresh.interval', raw.interval, 100, 86_400_000);
  const jitter = raw.jitter ?? DEFAULT_REFRESH_JITTER;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new DopplerConfigurationError(
      'The refresh.jitter option must be a fraction from 0 to 1, e.g. 0.1.',
    );
  }
  return { interval, jitter };
}

function checkWebhook(raw: DopplerModuleOptions['webhook']): { secret: string; coalesceMs: number } {
  if (raw === null || typeof raw !== 'object' || typeof raw.secret !== 'string' || raw.secret.length < 16) {
    throw new DopplerConfigurationError(
      "The webhook option needs the webhook's signing secret (at least 16 characters), as set in Doppler.",
    );
  }
  return {
    secret: raw.secret,
    coalesceMs: checkWholeNumber('webhook.coalesceMs', raw.coalesceMs ?? 250, 0, 60_000),
  };
}

function checkSlug(name: 'project' | 'config', raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string' || !SLUG_SHAPE.test(raw)) {
    throw new DopplerConfigurationError(
      `The ${name} option must be a Doppler ${name} name (letters, digits, '_', '-', '.').`,
    );
  }
  return raw;
}

function checkApiUrl(raw: unknown, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    throw new DopplerConfigurationError(
      'The apiUrl option is not a valid URL; use https://api.doppler.com or leave it unset.',
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new DopplerConfigurationError(
      'The apiUrl option must not carry credentials, a query or a fragment; pass the token with the token option.',
    );
  }
  const httpAllowed = url.protocol === 'http:' && (allowInsecureHttp || isLoopbackHost(url.hostname));
  if (url.protocol !== 'https:' && !httpAllowed) {
    throw new DopplerConfigurationError(
      `The apiUrl option must use https: (got ${url.protocol} for ${url.host}); plain http: is accepted only for loopback addresses such as the bundled emulator, ` +
        'or with dangerouslyAllowInsecureHttp: true, which sends the token in clear text.',
    );
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

function checkPositiveInt(name: string, raw: unknown, max: number): number {
  return checkWholeNumber(name, raw, 1, max);
}

function checkWholeNumber(name: string, raw: unknown, min: number, max: number): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
    throw new DopplerConfigurationError(`The ${name} option must be a whole number from ${min} to ${max}.`);
  }
  return raw;
}

function checkFallback(
  raw: DopplerModuleOptions['fallback'],
  token: string,
  project: string | undefined,
  config: string | undefined,
): ResolvedFallbackOptions | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || typeof raw.path !== 'string' || raw.path.trim() === '') {
    throw new DopplerConfigurationError(
      'The fallback option needs a path, e.g. { path: "/var/cache/app/doppler-fallback" }.',
    );
  }
  if (raw.passphrase !== undefined && (typeof raw.passphrase !== 'string' || raw.passphrase.length < 8)) {
    throw new DopplerConfigurationError('The fallback passphrase must be a string of at least 8 characters.');
  }
  const maxAge =
    raw.maxAge === undefined
      ? undefined
      : checkPositiveInt('fallback.maxAge', raw.maxAge, Number.MAX_SAFE_INTEGER);
  // The Doppler CLI's default, so a copy it made can be read with the same inputs.
  const passphrase = raw.passphrase ?? (project && config ? `${token}:${project}:${config}` : token);
  return { path: raw.path, passphrase, ...(maxAge !== undefined && { maxAge }) };
}
