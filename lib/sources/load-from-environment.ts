import { Logger } from '@nestjs/common';
import { DopplerConfigurationError } from '../client/doppler.errors.js';
import { LOGGER_CONTEXT } from '../doppler.constants.js';
import type { DopplerModuleOptions } from '../interfaces/doppler-module-options.interface.js';
import { SecretsService } from '../secrets.service.js';
import { dopplerScopeOf, rawFormsOf } from '../utils/raw-secrets.js';
import { validateSecrets } from '../validation/validate-secrets.js';

/**
 * Builds the service from `process.env`, as `doppler run` populates it: the same
 * validation and masking as the API path, and the same error when a value is wrong.
 *
 * @throws {DopplerConfigurationError} without a schema (it says which variables are secrets).
 * @throws {SecretsValidationError} when the environment does not match the schema.
 */
export async function loadFromEnvironment(
  options: DopplerModuleOptions,
  env: NodeJS.ProcessEnv = process.env,
  logger = new Logger(LOGGER_CONTEXT),
): Promise<SecretsService> {
  if (options.schema === undefined) {
    throw new DopplerConfigurationError(
      "The 'env' source needs a schema: it says which environment variables are secrets (the rest of the environment is not exposed).",
    );
  }
  const raw: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string') raw[name] = value;
  }
  const { scope, environment } = dopplerScopeOf(raw, options);
  const values = await validateSecrets(options.schema, raw, scope);
  const service = new SecretsService(
    values,
    { ...scope, ...(environment && { environment }), source: 'environment', fetchedAt: new Date() },
    rawFormsOf(values, raw),
  );
  // With 'auto', refresh is meant for the API path the same app takes when it has a token.
  if (options.refresh !== undefined && options.source === 'env') {
    logger.warn(
      'The refresh option has no effect with secrets from the environment: a process environment is fixed. Use `doppler run --watch`, or a token.',
    );
  }
  const where =
    scope.project && scope.config
      ? `doppler run: project ${scope.project}, config ${scope.config}`
      : 'process environment';
  logger.log(`Loaded ${service.keys().length} secrets from the environment (${where})`);
  return service;
}
