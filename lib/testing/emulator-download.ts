import {
  authorizeSecretsRead,
  isPlannedResponse,
  resolveConfig,
  secretsWithManaged,
} from './emulator-config-access.js';
import type { PlannedResponse } from './emulator-errors.js';
import { etagMatches, strongEtag } from './emulator-etag.js';
import { NAME_TRANSFORMERS, transformSecretName } from './emulator-name-transformers.js';
import { readBooleanParam, readEnumParam, readPositiveInt32Param } from './emulator-query-params.js';
import type { EmulatorRoute, EmulatorRouteContext, EmulatorRouteRequest } from './emulator-route.js';
import { FORMAT_CONTENT_TYPES, renderSecrets, SECRETS_FORMATS } from './emulator-secrets-format.js';

/** Path of Doppler's secrets download endpoint. */
export const DOWNLOAD_PATH = '/v3/configs/config/secrets/download';

/** Doppler's documented default lease time for dynamic secrets, 30 minutes. */
export const DEFAULT_DYNAMIC_SECRETS_TTL_SEC = 1800;

/**
 * `GET /v3/configs/config/secrets/download`, checked in the order Doppler checks:
 * authentication, rate limit, token capability, parameters, scope, existence.
 *
 * Every documented parameter is read and checked, none ignored: `format` (all six formats),
 * `name_transformer` (all seven), `secrets=A,B` (only those names, before renaming),
 * `include_dynamic_secrets` (`true`/`false`) and `dynamic_secrets_ttl_sec` (a positive int32).
 * The emulator has no dynamic secrets, so the last two change nothing once they are valid: a real
 * config with dynamic secrets would add leased values to the answer.
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
  const { query } = request;
  const format = readEnumParam(query, 'format', SECRETS_FORMATS, 'format', 'json');
  if ('error' in format) return format.error;
  const transformer = readEnumParam(
    query,
    'name_transformer',
    NAME_TRANSFORMERS,
    'name transformer',
    undefined,
  );
  if ('error' in transformer) return transformer.error;
  const dynamic = readBooleanParam(query, 'include_dynamic_secrets', false);
  if ('error' in dynamic) return dynamic.error;
  const ttl = readPositiveInt32Param(query, 'dynamic_secrets_ttl_sec', DEFAULT_DYNAMIC_SECRETS_TTL_SEC);
  if ('error' in ttl) return ttl.error;
  const resolved = resolveConfig(reader, query, context.store);
  if (isPlannedResponse(resolved)) {
    return resolved;
  }
  const wanted = requestedNames(query);
  const entries = secretsWithManaged(resolved)
    .filter(([name]) => wanted === undefined || wanted.has(name))
    .map(
      ([name, value]) =>
        [transformer.value ? transformSecretName(name, transformer.value) : name, value] as const,
    );
  const body = renderSecrets(entries, format.value);
  const etag = strongEtag(body);
  if (etagMatches(request.ifNoneMatch, etag)) {
    return { status: 304, headers: { etag }, body: '' };
  }
  return { status: 200, headers: { 'content-type': FORMAT_CONTENT_TYPES[format.value], etag }, body };
}

// Names as Doppler stores them (before any name_transformer); unknown names are simply absent.
function requestedNames(query: URLSearchParams): ReadonlySet<string> | undefined {
  const names = (query.get('secrets') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return names.length === 0 ? undefined : new Set(names);
}
