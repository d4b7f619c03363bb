import type { DynamicModule, Provider } from '@nestjs/common';
import { DOPPLER_PIPELINE_DEPS } from '../../lib/doppler.constants.js';
import type { PipelineDeps } from '../../lib/load-doppler-secrets.js';

/**
 * `registration` (a `DopplerModule.forRoot()` or `forRootAsync()`) with its pipeline on `deps` (a
 * FakeClock, few PBKDF2 rounds) instead of the real ones it provides itself. For an app module
 * that a test imports whole, override the provider instead:
 * `Test.createTestingModule(...).overrideProvider(DOPPLER_PIPELINE_DEPS).useValue(deps)`.
 *
 * @example
 * Test.createTestingModule({ imports: [withPipelineDeps(DopplerModule.forRoot(options), { clock })] })
 */
export function withPipelineDeps(registration: DynamicModule, deps: PipelineDeps): DynamicModule {
  const providers = registration.providers ?? [];
  if (!providers.some(isDepsProvider)) {
    // Silently running on real time would make the test wait, or pass for the wrong reason.
    throw new TypeError('withPipelineDeps: the module given is not a DopplerModule registration');
  }
  return {
    ...registration,
    providers: providers.map((provider) =>
      isDepsProvider(provider) ? { provide: DOPPLER_PIPELINE_DEPS, useValue: deps } : provider,
    ),
  };
}

function isDepsProvider(provider: Provider): boolean {
  return typeof provider === 'object' && 'provide' in provider && provider.provide === DOPPLER_PIPELINE_DEPS;
}
