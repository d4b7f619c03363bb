export { DopplerModule } from './doppler.module.js';
export type { DopplerModuleAsyncOptions, DopplerModuleStaticOptions } from './doppler.module-definition.js';
export { DOPPLER_MODULE_OPTIONS } from './doppler.constants.js';
export type {
  DopplerFallbackOptions,
  DopplerRefreshOptions,
  DopplerWebhookOptions,
  DopplerModuleOptions,
  DopplerMountedOptions,
  DopplerOptionsFactory,
} from './interfaces/doppler-module-options.interface.js';
export type {
  FallbackMetadata,
  SecretsMetadata,
  SecretsSource,
} from './interfaces/secrets-metadata.interface.js';
export { DopplerFallbackError } from './fallback/fallback.errors.js';
export { DopplerMountError, type MountFailure } from './sources/mounted/mounted.errors.js';
export { SecretsService } from './secrets.service.js';
export { SecretsSnapshot, type SecretKey, type SecretValue } from './secrets-snapshot.js';
export type { SecretsChange, SecretsStatus } from './interfaces/secrets-status.interface.js';
export { Secret, SECRET_MASK } from './secret.js';
export {
  DopplerAuthError,
  DopplerBadRequestError,
  DopplerConfigurationError,
  DopplerConnectionError,
  DopplerError,
  DopplerNotFoundError,
  DopplerRateLimitError,
  DopplerResponseError,
  DopplerServerError,
  DopplerTimeoutError,
  SecretNotDeclaredError,
  type DopplerErrorCode,
} from './client/doppler.errors.js';
export {
  SecretsValidationError,
  type SecretConstraintIssue,
  type SecretIssue,
} from './validation/secrets-validation.error.js';
export type { DopplerTokenKind } from './utils/token-kind.js';
export type { RefreshResult } from './refresh/refresh-result.js';
export { loadDopplerSecrets } from './load-doppler-secrets.js';
export { DopplerWebhookHandler, type WebhookVerdict } from './webhook/doppler-webhook.handler.js';
export { createDopplerWebhookController } from './webhook/create-doppler-webhook-controller.js';
export { signDopplerWebhook, verifyDopplerSignature } from './webhook/verify-signature.js';
export { DopplerLogger, type RedactionSource } from './logging/doppler-logger.js';
export { REDACT_MIN_LENGTH } from './logging/redaction.js';
