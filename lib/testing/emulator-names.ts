import {
  authorizeSecretsRead,
  isManagedSecret,
  isPlannedResponse,
  resolveConfig,
  secretsWithManaged,
} from './emulator-config-access.js';
import { JSON_CONTENT_TYPE, type PlannedResponse } from './emulator-errors.js';
import { readBooleanParam } from './emulator-query-params.js';
import type { EmulatorRoute, EmulatorRouteContext, EmulatorRouteRequest } from './emulator-route.js';

/** Path of Doppler's secret names endpoint (the official Node SDK's `secrets.names`). */
export const NAMES_PATH = '/v3/configs/config/secrets/names';

/**
 * `GET /v3/configs/config/secrets/names`: `{"names": [...]}`, sorted, with the same
 * authentication, rate limit, scope and error rules as the download (a service token may leave
 * out `project` and `config`). `include_managed_secrets` (default `true`) keeps the names Doppler
 * computes (`DOPPLER_PROJECT`, `DOPPLER_CONFIG`, `DOPPLER_ENVIRONMENT`); `include_dynamic_secrets`
 * is checked but changes nothing, as the emulator has no dynamic secrets. Injected faults do not
 * apply here: they are the download's.
 */
export const NAMES_ROUTE: EmulatorRoute = {
  method: 'GET',
  path: NAMES_PATH,
  acceptsFaults: false,
  answer: answerNames,
};

function answerNames(request: EmulatorRouteRequest, context: EmulatorRouteContext): PlannedResponse {
  const reader = authorizeSecretsRead(request, context);
  if (isPlannedResponse(reader)) {
    return reader;
  }
  const dynamic = readBooleanParam(request.query, 'include_dynamic_secrets', false);
  if ('error' in dynamic) return dynamic.error;
  const managed = readBooleanParam(request.query, 'include_managed_secrets', true);
  if ('error' in managed) return managed.error;
  const resolved = resolveConfig(reader, request.query, context.store);
  if (isPlannedResponse(resolved)) {
    return resolved;
  }
  const names = secretsWithManaged(resolved)
    .map(([name]) => name)
    .filter((name) => managed.value || !isManagedSecret(name));
  return { status: 200, headers: { 'content-type': JSON_CONTENT_TYPE }, body: JSON.stringify({ names }) };
}
