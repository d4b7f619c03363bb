export { createSecretsService, type CreateSecretsServiceOptions } from './create-secrets-service.js';
export { useDopplerEmulator, type DopplerEmulatorFixture, type TestHooks } from './use-doppler-emulator.js';
export { DopplerEmulator } from './doppler-emulator.js';
export type { DopplerEmulatorOptions, EmulatorRateLimit, EmulatorSummary } from './doppler-emulator.js';
export type { EmulatorAuthScheme, EmulatorTokenKind } from './emulator-auth.js';
export type {
  EmulatorDripFault,
  EmulatorFault,
  EmulatorFaultKind,
  EmulatorHangFault,
  EmulatorRawFault,
  EmulatorRedirectFault,
  EmulatorResetFault,
  EmulatorStatusFault,
} from './emulator-faults.js';
export type { EmulatorRequest } from './emulator-request-log.js';
export type {
  EmulatorWatchDropFault,
  EmulatorWatchFault,
  EmulatorWatchFaultKind,
  EmulatorWatchSplitFault,
  EmulatorWatchStallFault,
} from './emulator-watch.js';
export type {
  EmulatorConfigSeed,
  EmulatorIdentitySeed,
  EmulatorProjectSeed,
  EmulatorSeed,
  EmulatorTokenSeed,
} from './emulator-seed.js';
export type { EmulatorIssuedToken } from './emulator-store.js';
export { mintOidcToken, type MintOidcTokenOptions } from './mint-oidc-token.js';
export type { OidcSigningAlgorithm } from './jwt-algorithms.js';
export { signDopplerWebhook } from '../webhook/verify-signature.js';
