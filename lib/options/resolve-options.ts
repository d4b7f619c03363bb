import {
  DEFAULT_API_URL,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MOUNTED_POLL_INTERVAL_MS,
  DEFAULT_REFRESH_JITTER,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WATCH_SAFETY_INTERVAL_MS,
  DEFAULT_WEBHOOK_COALESCE_MS,
  DEFAULT_WEBHOOK_MIN_INTERVAL_MS,
} from '../doppler.constants.js';
import { resolve as resolvePath } from 'node:path';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { checkFallbackMaxAge, checkPositiveInt, checkWholeNumber } from './check-number.js';
import type { DopplerModuleOptions } from '../interfaces/doppler-module-options.interface.js';
import {
  cannotReadSecrets,
  isScopedKind,
  tokenKindOf,
  tokenPrefixOf,
  type DopplerTokenKind,
} from '../auth/token-kind.js';
import { isLoopbackHost } from '../client/loopback.js';
import { printable } from '../core/printable.js';
import type { OidcCredential } from '../auth/oidc-token.js';
import { checkKnownKeys } from './check-known-keys.js';
import { checkInjectedPath } from './check-path.js';
import { checkOidc, checkOidcConflicts, hasOidc } from './resolve-oidc-options.js';
import type { SecretsSchema } from '../validation/validate-secrets.js';
import { isStandardSchema } from '../validation/validate-standard-schema.js';
import { checkTelemetryOptions } from './check-telemetry-options.js';
import type { ResolvedTelemetryOptions } from '../telemetry/doppler-telemetry.js';

/** Where the secrets come from, once `source: 'auto'` is settled. */
export type ResolvedSource = 'api' | 'env' | 'mounted';

/** The mounted source's options after defaults and checks. */
export interface ResolvedMountedOptions {
  /** Absolute. */
  readonly path: string;
  readonly pollInterval: number;
}

/** How the API source gets its token. */
export type Credential =
  | { readonly kind: 'static'; readonly token: string; readonly tokenKind: DopplerTokenKind }
  | { readonly kind: 'file'; readonly path: string }
  | ({ readonly kind: 'oidc' } & OidcCredential);

/**
 * Every option after defaults and checks, whatever the source: what the pipeline works with. The
 * token of a token file is not in it (it is read, and checked, on every use).
 */
export interface ResolvedModuleOptions extends ResolvedCommonOptions {
  readonly source: ResolvedSource;
  /** Present for the API source. */
  readonly credential?: Credential;
  readonly fallback?: ModuleFallbackOptions;
  /** Present for the mounted source. */
  readonly mounted?: ResolvedMountedOptions;
  readonly telemetry?: ResolvedTelemetryOptions;
}

/** The refresh option after defaults and checks. */
export interface ResolvedRefreshOptions {
  readonly interval: number;
  readonly jitter: number;
  /** Doppler's watch stream is kept open; `interval` is the safety net under it. */
  readonly watch?: true;
}

/** Fallback options before the passphrase is settled (it may depend on the token). */
export interface ModuleFallbackOptions {
  readonly path: string;
  readonly passphrase?: string;
  readonly maxAge?: number;
  readonly bindToToken: boolean;
}

/** Options after defaults and checks, with one token: what the HTTP client works with. */
export interface ResolvedDopplerOptions extends ResolvedCommonOptions {
  readonly token: string;
  readonly tokenKind: DopplerTokenKind;
  readonly fallback?: ResolvedFallbackOptions;
  readonly tokenFile?: string;
}

/** What both resolved forms hold alike: the scope, the transport's rules, the schema, refresh and webhook. */
interface ResolvedCommonOptions {
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
  readonly refresh?: ResolvedRefreshOptions;
  readonly webhook?: { readonly secret: string; readonly coalesceMs: number; readonly minInterval: number };
}

/** Fallback options with the passphrase settled. */
export interface ResolvedFallbackOptions {
  readonly path: string;
  readonly passphrase: string;
  readonly maxAge?: number;
  readonly bindToToken: boolean;
}

// Printable ASCII only: anything else cannot go into an HTTP header, and Node's error for
// it would be thrown from deep inside the request.
const TOKEN_SHAPE = /^[\x21-\x7e]+$/;
const SLUG_SHAPE = /^[A-Za-z0-9_.-]{1,128}$/;

/** Every option `DopplerModule` knows; anything else is a typo and is refused. */
const KNOWN_OPTIONS: readonly (keyof DopplerModuleOptions)[] = [
  'token',
  'tokenFile',
  'refresh',
  'webhook',
  'source',
  'schema',
  'project',
  'config',
  'apiUrl',
  'dangerouslyAllowInsecureHttp',
  'timeout',
  'retries',
  'deadline',
  'fallback',
  'maxResponseBytes',
  'mounted',
  'oidc',
  'telemetry',
];

/**
 * Checks every option once, whatever the source, and fills in defaults. Every problem is
 * reported before a request is made, and no message contains the token.
 *
 * @param env where a `doppler run` environment is looked for by `source: 'auto'`.
 * @throws {DopplerConfigurationError} when an option is missing, unknown or wrong.
 */
export function resolveModuleOptions(
  options: DopplerModuleOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedModuleOptions {
  if (options === null || typeof options !== 'object') {
    throw new DopplerConfigurationError(
      'DopplerModule options are missing: pass { token, schema } to forRoot() or return them from the forRootAsync() factory.',
    );
  }
  checkKnownKeys(options as Record<string, unknown>, KNOWN_OPTIONS, 'DopplerModule');
  checkOidcConflicts(options);
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new DopplerConfigurationError(
      'Give either the token option or tokenFile, not both: tokenFile is re-read on every refresh, so the two could disagree.',
    );
  }
  if (
    options.tokenFile !== undefined &&
    (typeof options.tokenFile !== 'string' || options.tokenFile.trim() === '')
  ) {
    throw new DopplerConfigurationError('The tokenFile option must be the path of a file holding the token.');
  }
  const project = checkSlug('project', options.project);
  const config = checkSlug('config', options.config);
  const source = selectSource(options, env);
  if (
    options.schema !== undefined &&
    typeof options.schema !== 'function' &&
    !isStandardSchema(options.schema)
  ) {
    throw new DopplerConfigurationError(
      'The schema option must be a class decorated with class-validator (pass the class itself, not an instance) or a Standard Schema object (zod, valibot, arktype).',
    );
  }
  if (source === 'env' && options.schema === undefined) {
    throw new DopplerConfigurationError(
      "The 'env' source needs a schema: it says which environment variables are secrets (the rest of the environment is not exposed).",
    );
  }
  const scope = { ...(project !== undefined && { project }), ...(config !== undefined && { config }) };
  let credential: Credential | undefined;
  if (source === 'api') {
    credential = hasOidc(options)
      ? { kind: 'oidc', ...checkOidc(options.oidc, scope) }
      : options.tokenFile !== undefined
        ? { kind: 'file', path: options.tokenFile }
        : { kind: 'static', ...checkToken(options.token, 'The Doppler token', scope) };
  }
  const refresh = options.refresh !== undefined ? checkRefresh(options.refresh) : undefined;
  if (refresh?.watch && source !== 'api') {
    throw new DopplerConfigurationError(
      `The refresh.watch option keeps Doppler's watch stream open, which only the API source has; the '${source}' source would ignore it. Drop refresh.watch.`,
    );
  }
  const fallback = checkFallback(options.fallback);
  const mounted =
    options.mounted === undefined || options.mounted === null ? undefined : checkMounted(options.mounted);
  if (source === 'mounted' && fallback !== undefined) {
    throw new DopplerConfigurationError(
      'The fallback option keeps a copy of what the API served, for when Doppler is out of reach; a mounted volume is read locally, so it has none. Drop fallback, or the mounted option.',
    );
  }
  return {
    source,
    ...(credential !== undefined && { credential }),
    ...(mounted !== undefined && { mounted }),
    ...scope,
    apiUrl: checkApiUrl(options.apiUrl ?? DEFAULT_API_URL, options.dangerouslyAllowInsecureHttp === true),
    dangerouslyAllowInsecureHttp: checkBoolean(
      'dangerouslyAllowInsecureHttp',
      options.dangerouslyAllowInsecureHttp,
    ),
    timeout: checkPositiveInt('timeout', options.timeout ?? DEFAULT_TIMEOUT_MS, 600_000),
    retries: checkWholeNumber('retries', options.retries ?? DEFAULT_RETRIES, 0, 10),
    deadline: checkPositiveInt('deadline', options.deadline ?? DEFAULT_DEADLINE_MS, 3_600_000),
    ...(refresh !== undefined && { refresh }),
    ...(options.webhook !== undefined && { webhook: checkWebhook(options.webhook) }),
    ...(fallback !== undefined && { fallback }),
    maxResponseBytes: checkPositiveInt(
      'maxResponseBytes',
      options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      64 * 1024 * 1024,
    ),
    ...(options.schema !== undefined && { schema: options.schema }),
    telemetry: checkTelemetryOptions(options.telemetry),
  };
}

/**
 * The options the HTTP client works with, for one token (the static one, or one just read from
 * the token file).
 *
 * @throws {DopplerConfigurationError} when the token is malformed or its kind needs project and config.
 */
export function withToken(
  resolved: ResolvedModuleOptions,
  rawToken: unknown,
  where = 'The Doppler token',
): ResolvedDopplerOptions {
  // The token option was checked with the others, against the same scope: not again per session.
  const fixed = resolved.credential?.kind === 'static' ? resolved.credential : undefined;
  const { token, tokenKind } =
    fixed !== undefined && rawToken === fixed.token ? fixed : checkToken(rawToken, where, resolved);
  // Taken apart rather than copied and `delete`d: a deletion turns the copy into a slow dictionary.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- taken out, not used
  const { credential, fallback, source, ...common } = resolved;
  return {
    ...common,
    token,
    tokenKind,
    ...(credential?.kind === 'file' && { tokenFile: credential.path }),
    ...(fallback !== undefined && {
      fallback: {
        path: fallback.path,
        bindToToken: fallback.bindToToken,
        ...(fallback.maxAge !== undefined && { maxAge: fallback.maxAge }),
        passphrase: fallbackPassphrase(fallback, token, resolved),
      },
    }),
  };
}

/**
 * {@link resolveModuleOptions} and {@link withToken} in one step, for the API source: the
 * token is the option's, or `tokenFromFile` when `tokenFile` is set.
 *
 * @throws {DopplerConfigurationError} when an option is missing, unknown or wrong.
 */
export function resolveOptions(
  options: DopplerModuleOptions,
  tokenFromFile?: string,
): ResolvedDopplerOptions {
  const resolved = resolveModuleOptions(
    options && typeof options === 'object' ? { ...options, source: 'api' } : options,
  );
  const fromFile = options.tokenFile !== undefined;
  return withToken(
    resolved,
    fromFile ? tokenFromFile : options.token,
    fromFile ? `The token file ${printable(options.tokenFile ?? '')}` : undefined,
  );
}

/**
 * Decides where the secrets come from. `auto` prefers a mounted volume when the `mounted`
 * option names one (it needs no token), then the API when a token is configured, then a
 * `doppler run` environment (recognised by Doppler's own markers), and otherwise refuses with
 * the ways to run, rather than starting with no secrets.
 */
function selectSource(options: DopplerModuleOptions, env: NodeJS.ProcessEnv): ResolvedSource {
  const source = options.source ?? 'auto';
  if (source !== 'api' && source !== 'env' && source !== 'mounted' && source !== 'auto') {
    throw new DopplerConfigurationError("The source option must be 'api', 'env', 'mounted' or 'auto'.");
  }
  const hasMounted = options.mounted !== undefined && options.mounted !== null;
  if (source === 'mounted' && !hasMounted) {
    throw new DopplerConfigurationError(
      "The 'mounted' source needs the mounted option: the directory the Secret volume is mounted at, e.g. { mounted: { path: '/etc/secrets/doppler' } }.",
    );
  }
  if (hasMounted && (source === 'api' || source === 'env')) {
    throw new DopplerConfigurationError(
      `The mounted option reads the secrets from a volume, but the source option says '${source}', so it would be ignored. Use source 'mounted' (or 'auto'), or drop the mounted option.`,
    );
  }
  if (source !== 'auto') return source;
  if (hasMounted) return 'mounted';
  const hasToken =
    (typeof options.token === 'string' && options.token.trim() !== '') ||
    options.tokenFile !== undefined ||
    hasOidc(options);
  if (hasToken) return 'api';
  if (env['DOPPLER_PROJECT'] && env['DOPPLER_CONFIG']) return 'env';
  throw new DopplerConfigurationError(
    'No Doppler token and no `doppler run` environment. Either inject a service token (e.g. DOPPLER_TOKEN, passed as the token option, ' +
      'or a mounted file as tokenFile, or a workload identity as oidc: { identity, tokenFile | getToken }) so the secrets are fetched from the API, ' +
      'or start the app under `doppler run -- node dist/main.js` ' +
      'so they are in the environment, or (on Kubernetes, with the Doppler operator) mount its Secret and pass mounted: { path }.',
  );
}

/**
 * Checks a token's shape and kind: printable, not a kind that cannot read secrets, and with
 * project and config when its kind is not bound to one config.
 *
 * @throws {DopplerConfigurationError} naming what is wrong, never the token.
 */
export function checkToken(
  raw: unknown,
  where: string,
  scope: { readonly project?: string; readonly config?: string },
): { token: string; tokenKind: DopplerTokenKind } {
  const token = checkTokenShape(raw, where);
  const tokenKind = tokenKindOf(token);
  if (cannotReadSecrets(tokenKind)) {
    throw new DopplerConfigurationError(
      `A ${tokenPrefixOf(tokenKind)} token cannot read secrets. Use a service token (dp.st.) scoped to the project and config this app needs.`,
    );
  }
  if (!isScopedKind(tokenKind) && (scope.project === undefined || scope.config === undefined)) {
    const missing = [scope.project === undefined && 'project', scope.config === undefined && 'config']
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
  return { token, tokenKind };
}

function checkTokenShape(raw: unknown, where: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new DopplerConfigurationError(
      `${where} is missing or empty. Inject a service token at runtime, e.g. the DOPPLER_TOKEN environment variable or a mounted file.`,
    );
  }
  // A token read from a mounted file or a .env line often carries a trailing newline.
  const token = raw.trim();
  if (/^["'`]|["'`]$/.test(token)) {
    throw new DopplerConfigurationError(
      `${where} is wrapped in quotes, as a .env file or a YAML manifest can leave it (DOPPLER_TOKEN="dp.st...."); remove the quotes where it is injected.`,
    );
  }
  if (!TOKEN_SHAPE.test(token)) {
    throw new DopplerConfigurationError(
      `${where} contains spaces or characters that cannot be sent in a header; check how it is injected (quotes, line breaks).`,
    );
  }
  return token;
}

function checkRefresh(raw: DopplerModuleOptions['refresh']): ResolvedRefreshOptions {
  if (raw === null || typeof raw !== 'object') {
    throw new DopplerConfigurationError(
      'The refresh option must be an object such as { interval: 60000 } or { watch: true }.',
    );
  }
  checkKnownKeys(raw as unknown as Record<string, unknown>, ['interval', 'jitter', 'watch'], 'refresh');
  const watch = checkBoolean('refresh.watch', raw.watch);
  const interval = checkWholeNumber(
    'refresh.interval',
    raw.interval ?? (watch ? DEFAULT_WATCH_SAFETY_INTERVAL_MS : undefined),
    100,
    86_400_000,
  );
  const jitter = raw.jitter ?? DEFAULT_REFRESH_JITTER;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new DopplerConfigurationError(
      'The refresh.jitter option must be a fraction from 0 to 1, e.g. 0.1.',
    );
  }
  return { interval, jitter, ...(watch && { watch: true as const }) };
}

function checkWebhook(raw: DopplerModuleOptions['webhook']): {
  secret: string;
  coalesceMs: number;
  minInterval: number;
} {
  if (raw === null || typeof raw !== 'object' || typeof raw.secret !== 'string' || raw.secret.length < 16) {
    throw new DopplerConfigurationError(
      "The webhook option needs the webhook's signing secret (at least 16 characters), as set in Doppler.",
    );
  }
  checkKnownKeys(
    raw as unknown as Record<string, unknown>,
    ['secret', 'coalesceMs', 'minInterval'],
    'webhook',
  );
  return {
    secret: raw.secret,
    coalesceMs: checkWholeNumber(
      'webhook.coalesceMs',
      raw.coalesceMs ?? DEFAULT_WEBHOOK_COALESCE_MS,
      0,
      60_000,
    ),
    minInterval: checkWholeNumber(
      'webhook.minInterval',
      raw.minInterval ?? DEFAULT_WEBHOOK_MIN_INTERVAL_MS,
      250,
      3_600_000,
    ),
  };
}

function checkMounted(raw: DopplerModuleOptions['mounted']): ResolvedMountedOptions {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DopplerConfigurationError(
      'The mounted option must be an object such as { path: "/etc/secrets/doppler" }.',
    );
  }
  checkKnownKeys(raw as unknown as Record<string, unknown>, ['path', 'pollInterval'], 'mounted');
  const path: unknown = raw.path;
  if (typeof path !== 'string' || path.trim() === '') {
    throw new DopplerConfigurationError(
      "The mounted.path option must be the directory the Secret volume is mounted at (the container's volumeMounts[].mountPath), or a file holding the whole set.",
    );
  }
  checkInjectedPath(path, 'mounted.path');
  return {
    path: resolvePath(path),
    pollInterval: checkWholeNumber(
      'mounted.pollInterval',
      raw.pollInterval ?? DEFAULT_MOUNTED_POLL_INTERVAL_MS,
      100,
      86_400_000,
    ),
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

function checkBoolean(name: string, raw: unknown): boolean {
  if (raw === undefined) return false;
  if (typeof raw !== 'boolean')
    throw new DopplerConfigurationError(`The ${name} option must be true or false.`);
  return raw;
}

function checkFallback(raw: DopplerModuleOptions['fallback']): ModuleFallbackOptions | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || typeof raw.path !== 'string' || raw.path.trim() === '') {
    throw new DopplerConfigurationError(
      'The fallback option needs a path, e.g. { path: "/var/cache/app/doppler-fallback" }.',
    );
  }
  checkKnownKeys(
    raw as unknown as Record<string, unknown>,
    ['path', 'passphrase', 'maxAge', 'bindToToken'],
    'fallback',
  );
  if (raw.passphrase !== undefined && (typeof raw.passphrase !== 'string' || raw.passphrase.length < 8)) {
    throw new DopplerConfigurationError('The fallback passphrase must be a string of at least 8 characters.');
  }
  const maxAge = raw.maxAge === undefined ? undefined : checkFallbackMaxAge(raw.maxAge);
  return {
    path: raw.path,
    bindToToken: checkBoolean('fallback.bindToToken', raw.bindToToken),
    ...(raw.passphrase !== undefined && { passphrase: raw.passphrase }),
    ...(maxAge !== undefined && { maxAge }),
  };
}

/** The Doppler CLI's default passphrase when none is set, so a copy it made reads with the same inputs. */
function fallbackPassphrase(
  fallback: ModuleFallbackOptions,
  token: string,
  scope: { readonly project?: string; readonly config?: string },
): string {
  if (fallback.passphrase !== undefined) return fallback.passphrase;
  return scope.project && scope.config ? `${token}:${scope.project}:${scope.config}` : token;
}
