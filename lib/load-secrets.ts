import { Logger } from '@nestjs/common';
import { DopplerClient } from './client/doppler-client.js';
import { DopplerResponseError } from './client/doppler.errors.js';
import { LOGGER_CONTEXT } from './doppler.constants.js';
import type { DopplerModuleOptions } from './interfaces/doppler-module-options.interface.js';
import { SecretsService } from './secrets.service.js';
import { resolveOptions } from './utils/resolve-options.js';
import { validateSecrets } from './validation/validate-secrets.js';

/**
 * The bootstrap path, in one direction: options, one download, validation, the service.
 * Everything it logs is names and counts.
 *
 * @throws {DopplerError} for bad options or a failed download.
 * @throws {SecretsValidationError} when the secrets do not match the schema.
 */
export async function loadSecrets(
  options: DopplerModuleOptions,
  logger = new Logger(LOGGER_CONTEXT),
): Promise<SecretsService> {
  const resolved = resolveOptions(options);
  const started = performance.now();
  const download = await new DopplerClient(resolved).download();
  if (download.kind !== 'secrets') {
    // Only reachable if a server answers 304 to a request that sent no ETag.
    throw new DopplerResponseError(
      'DOPPLER_UNEXPECTED_STATUS',
      'Doppler answered 304 Not Modified to a request that named no version. Check the apiUrl option and any proxy in between.',
      { status: 304 },
    );
  }
  const raw = download.secrets;
  const project = raw['DOPPLER_PROJECT'] ?? resolved.project;
  const config = raw['DOPPLER_CONFIG'] ?? resolved.config;
  const environment = raw['DOPPLER_ENVIRONMENT'];
  const scope = { ...(project && { project }), ...(config && { config }) };
  const values = validateSecrets(resolved.schema, raw, scope);
  const service = new SecretsService(values, {
    ...scope,
    ...(environment && { environment }),
    source: 'doppler-api',
    fetchedAt: new Date(),
    ...(download.etag !== undefined && { etag: download.etag }),
  });
  logger.log(
    `Loaded ${service.keys().length} secrets from Doppler (${describeScope(project, config)}) in ${Math.round(performance.now() - started)} ms`,
  );
  return service;
}

function describeScope(project: string | undefined, config: string | undefined): string {
  return project && config ? `project ${project}, config ${config}` : 'service token scope';
}
