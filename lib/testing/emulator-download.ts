import { cannotReadSecrets, tokenKindOf } from '../utils/token-kind.js';
import type { PresentedCredentials } from './emulator-auth.js';
import { DOPPLER_MESSAGES, dopplerError, type PlannedResponse } from './emulator-errors.js';
import type { SlidingWindowRateLimiter } from './emulator-rate-limiter.js';
import {
  FORMAT_CONTENT_TYPES,
  etagMatches,
  renderSecrets,
  strongEtag,
  type EmulatorSecretsFormat,
} from './emulator-secrets-format.js';
import type { EmulatorTokenSeed } from './emulator-seed.js';
import type { EmulatorStore } from './emulator-store.js';

/** Path of Doppler's secrets download endpoint. */
export const DOWNLOAD_PATH = '/v3/configs/config/secrets/download';

/** The parts of a request the download endpoint looks at. */
export interface DownloadRequest {
  readonly method: string;
  readonly query: URLSearchParams;
  readonly credentials: PresentedCredentials;
  readonly ifNoneMatch: string | undefined;
}

/** Shared state the endpoint answers from. */
export interface DownloadContext {
  readonly store: EmulatorStore;
  readonly limiter: SlidingWindowRateLimiter | undefined;
  readonly now: number;
}

type Scope = { readonly project: string; readonly config: string } | PlannedResponse;

/**
 * Answers `GET /v3/configs/config/secrets/download` in the order Doppler checks:
 * method, authentication, rate limit, token capability, parameters, scope, existence.
 */
export function answerDownload(request: DownloadRequest, context: DownloadContext): PlannedResponse {
  if (request.method !== 'GET') {
    return dopplerError(405, DOPPLER_MESSAGES.methodNotAllowed, { allow: 'GET' });
  }
  const { token, malformed } = request.credentials;
  const entry = token === undefined || malformed ? undefined : context.store.findToken(token);
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
  const format = request.query.get('format') ?? 'json';
  if (format !== 'json' && format !== 'env') {
    return dopplerError(400, DOPPLER_MESSAGES.invalidFormat);
  }
  const scope =
    kind === 'service' ? serviceScope(entry, request.query) : requestedScope(entry, request.query);
  if ('status' in scope) {
    return scope;
  }
  return serveSecrets(scope, format, request, context.store);
}

// Service tokens are bound to one config, so the parameters are optional but may not point elsewhere.
function serviceScope(entry: EmulatorTokenSeed, query: URLSearchParams): Scope {
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

function requestedScope(entry: EmulatorTokenSeed, query: URLSearchParams): Scope {
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

function serveSecrets(
  scope: { readonly project: string; readonly config: string },
  format: EmulatorSecretsFormat,
  request: DownloadRequest,
  store: EmulatorStore,
): PlannedResponse {
  const configs = store.findProject(scope.project);
  if (configs === undefined) {
    return dopplerError(404, DOPPLER_MESSAGES.projectNotFound);
  }
  const state = configs.get(scope.config);
  if (state === undefined) {
    return dopplerError(404, DOPPLER_MESSAGES.configNotFound);
  }
  const all = new Map(state.secrets);
  all.set('DOPPLER_PROJECT', scope.project);
  all.set('DOPPLER_CONFIG', scope.config);
  all.set('DOPPLER_ENVIRONMENT', state.environment);
  const wanted = requestedNames(request.query);
  const entries = [...all]
    .filter(([name]) => wanted === undefined || wanted.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const body = renderSecrets(entries, format);
  const etag = strongEtag(body);
  if (etagMatches(request.ifNoneMatch, etag)) {
    return { status: 304, headers: { etag }, body: '' };
  }
  return { status: 200, headers: { 'content-type': FORMAT_CONTENT_TYPES[format], etag }, body };
}

function requestedNames(query: URLSearchParams): ReadonlySet<string> | undefined {
  const names = (query.get('secrets') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return names.length === 0 ? undefined : new Set(names);
}
