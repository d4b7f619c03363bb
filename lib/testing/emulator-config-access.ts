import { cannotReadSecrets, tokenKindOf, type DopplerTokenKind } from '../auth/token-kind.js';
import { DOPPLER_MESSAGES, dopplerError, type PlannedResponse } from './emulator-errors.js';
import type { EmulatorRouteContext, EmulatorRouteRequest } from './emulator-route.js';
import { RESERVED_SECRET_NAMES, type EmulatorTokenSeed } from './emulator-seed.js';
import type { ConfigState, EmulatorStore } from './emulator-store.js';

/** A token that passed authentication, the rate limit and the capability check. */
export interface AuthorizedReader {
  readonly entry: EmulatorTokenSeed;
  readonly kind: DopplerTokenKind;
}

/** The config a request reads, once its scope and existence are checked. */
export interface ResolvedConfig {
  readonly project: string;
  readonly config: string;
  readonly state: ConfigState;
}

/** Doppler answers with an error envelope rather than throwing; so do these steps. */
export function isPlannedResponse(value: object): value is PlannedResponse {
  return 'status' in value && 'body' in value;
}

/**
 * The checks every secrets-reading endpoint makes first, in Doppler's order:
 * authentication (401), rate limit (429), token capability (403).
 */
export function authorizeSecretsRead(
  request: EmulatorRouteRequest,
  context: EmulatorRouteContext,
): AuthorizedReader | PlannedResponse {
  const { token, malformed } = request.credentials;
  const entry = token === undefined || malformed ? undefined : context.store.findToken(token, context.now);
  if (entry === undefined) {
    return dopplerError(401, DOPPLER_MESSAGES.invalidToken);
  }
  const decision = context.limiter?.take(entry.token, context.now) ?? { allowed: true };
  if (!decision.allowed) {
    return dopplerError(429, DOPPLER_MESSAGES.rateLimited, {
      'retry-after': String(decision.retryAfterSeconds),
    });
  }
  const kind = tokenKindOf(entry.token);
  if (cannotReadSecrets(kind)) {
    return dopplerError(403, DOPPLER_MESSAGES.cannotReadSecrets);
  }
  return { entry, kind };
}

/**
 * Picks the config from `project`/`config` (optional for a service token, which is bound to one)
 * and checks the token may read it (403) and that it exists (404).
 */
export function resolveConfig(
  reader: AuthorizedReader,
  query: URLSearchParams,
  store: EmulatorStore,
): ResolvedConfig | PlannedResponse {
  const scope =
    reader.kind === 'service' ? serviceScope(reader.entry, query) : requestedScope(reader.entry, query);
  if (isPlannedResponse(scope)) {
    return scope;
  }
  const configs = store.findProject(scope.project);
  if (configs === undefined) {
    return dopplerError(404, DOPPLER_MESSAGES.projectNotFound);
  }
  const state = configs.get(scope.config);
  if (state === undefined) {
    return dopplerError(404, DOPPLER_MESSAGES.configNotFound);
  }
  return { ...scope, state };
}

/**
 * The config's secrets plus the ones Doppler manages itself (`DOPPLER_PROJECT`, `DOPPLER_CONFIG`,
 * `DOPPLER_ENVIRONMENT`), sorted by name.
 */
export function secretsWithManaged(resolved: ResolvedConfig): Array<[string, string]> {
  const all = new Map(resolved.state.secrets);
  all.set('DOPPLER_PROJECT', resolved.project);
  all.set('DOPPLER_CONFIG', resolved.config);
  all.set('DOPPLER_ENVIRONMENT', resolved.state.environment);
  return [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Whether Doppler computes this secret itself (the "managed" secrets of the names endpoint). */
export function isManagedSecret(name: string): boolean {
  return RESERVED_SECRET_NAMES.includes(name);
}

type Scope = { readonly project: string; readonly config: string };

// Service tokens are bound to one config, so the parameters are optional but may not point elsewhere.
function serviceScope(entry: EmulatorTokenSeed, query: URLSearchParams): Scope | PlannedResponse {
  const project = entry.project ?? '';
  const config = entry.config ?? '';
  const requestedProject = query.get('project') || undefined;
  const requestedConfig = query.get('config') || undefined;
  if (requestedProject !== undefined && requestedProject !== project) {
    return dopplerError(403, DOPPLER_MESSAGES.projectForbidden);
  }
  if (requestedConfig !== undefined && requestedConfig !== config) {
    return dopplerError(403, DOPPLER_MESSAGES.configForbidden);
  }
  return { project, config };
}

function requestedScope(entry: EmulatorTokenSeed, query: URLSearchParams): Scope | PlannedResponse {
  const project = query.get('project');
  const config = query.get('config');
  if (!project) {
    return dopplerError(400, DOPPLER_MESSAGES.projectRequired);
  }
  if (!config) {
    return dopplerError(400, DOPPLER_MESSAGES.configRequired);
  }
  if (entry.project !== undefined && entry.project !== project) {
    return dopplerError(403, DOPPLER_MESSAGES.projectForbidden);
  }
  if (entry.config !== undefined && entry.config !== config) {
    return dopplerError(403, DOPPLER_MESSAGES.configForbidden);
  }
  return { project, config };
}
