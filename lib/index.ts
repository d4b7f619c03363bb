export { DopplerModule } from './doppler.module.js';
export type {
  DopplerModuleAsyncOptions,
  DopplerModuleExtras,
  DopplerModuleStaticOptions,
} from './doppler.module-definition.js';
export { getSecretsServiceToken, InjectSecrets } from './doppler-instances.js';
export type {
  DopplerFallbackOptions,
  DopplerRefreshOptions,
  DopplerWebhookOptions,
  DopplerModuleOptions,
  DopplerMountedOptions,
  DopplerOidcOptions,
  DopplerOptionsFactory,
  DopplerTelemetryOptions,
} from './interfaces/doppler-module-options.interface.js';
export type {
  FallbackMetadata,
  SecretsMetadata,
  SecretsSource,
} from './interfaces/secrets-metadata.interface.js';
export type { SecretsChange, SecretsChannel, SecretsStatus } from './interfaces/secrets-status.interface.js';
export type { MountFailure } from './sources/mounted/mounted.errors.js';
export { SecretsService } from './secrets.service.js';
export { SecretsSnapshot, type SecretKey, type SecretValue } from './secrets-snapshot.js';
export { Secret, SECRET_MASK } from './secret.js';
export { loadDopplerSecrets } from './load-doppler-secrets.js';
export type { RefreshResult } from './refresh/refresh-result.js';
export { OnSecretsChange, type SecretsChangeFilter } from './refresh/on-secrets-change.decorator.js';
export {
  DopplerAuthError,
  DopplerConfigurationError,
  DopplerError,
  DopplerNotFoundError,
  DopplerUnavailableError,
  type DopplerErrorCode,
} from './errors/doppler.errors.js';
export {
  SecretsValidationError,
  type SecretConstraintIssue,
  type SecretIssue,
} from './errors/secrets-validation.error.js';
export { DopplerWebhookHandler, type WebhookVerdict } from './webhook/doppler-webhook.handler.js';
export { createDopplerWebhookController } from './webhook/create-doppler-webhook-controller.js';
export { verifyDopplerSignature } from './webhook/verify-signature.js';
export { DopplerLogger, type RedactionSource } from './redaction/doppler-logger.js';
