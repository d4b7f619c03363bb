import {
  authorizeSecretsRead,
  isPlannedResponse,
  resolveConfig,
  secretsWithManaged,
} from './emulator-config-access.js';
import { DOPPLER_MESSAGES, dopplerError, type PlannedResponse } from './emulator-errors.js';
import type { EmulatorRoute, EmulatorRouteContext, EmulatorRouteRequest } from './emulator-route.js';
import { FORMAT_CONTENT_TYPES, etagMatches, renderSecrets, strongEtag } from './emulator-secrets-format.js';

/** Path of Doppler's secrets download endpoint. */
export const DOWNLOAD_PATH = '/v3/configs/config/secrets/download';

/**
 * `GET /v3/configs/config/secrets/download`, checked in the order Doppler checks:
 * authentication, rate limit, token capability, parameters, scope, existence.
 */
export const DOWNLOAD_ROUTE: EmulatorRoute = {
  method: 'GET',
  path: DOWNLOAD_PATH,
  acceptsFaults: true,
  answer: answerDownload,
};

function answerDownload(request: EmulatorRouteRequest, context: EmulatorRouteContext): PlannedResponse {
  const reader = authorizeSecretsRead(request, context);
  if (isPlannedResponse(reader)) {
    return reader;
  }
  const format = request.query.get('format') ?? 'json';
  if (format !== 'json' && format !== 'env') {
    return dopplerError(400, DOPPLER_MESSAGES.invalidFormat);
  }
  const resolved = resolveConfig(reader, request.query, context.store);
  if (isPlannedResponse(resolved)) {
    return resolved;
  }
  const wanted = requestedNames(request.query);
  const entries = secretsWithManaged(resolved).filter(([name]) => wanted === undefined || wanted.has(name));
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
