import type { Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { getSecretsServiceToken, instancesOf, webhookHandlerToken } from './doppler-instances.js';
import { DOPPLER_PIPELINE_DEPS } from './doppler.constants.js';
import { MODULE_OPTIONS_TOKEN } from './doppler.module-definition.js';
import { bootstrapSecrets, type PipelineDeps } from './load-doppler-secrets.js';
import { RefresherRef, type LoadedParts } from './refresh/refresher-ref.js';
import { explorerOf } from './refresh/secrets-change.explorer.js';
import type { SecretsService } from './secrets.service.js';
import type { SealedOptions } from './options/deferred-options.js';
import { DopplerWebhookHandler } from './webhook/doppler-webhook.handler.js';
import { RegistrationWebhookHandler } from './webhook/registration-webhook-handler.js';

/**
 * The pipeline's dependencies a registration provides itself: none, so the real clock and logger.
 * Tests replace the provider (fake time); an optional injection instead would cost every boot the
 * exception Nest's injector throws and catches for an optional provider that is absent. Where Nest
 * serialises module metadata (`moduleIdGeneratorAlgorithm: 'deep-hash'`) it stands for the
 * registration's options, which are in no provider of their own: two registrations never look alike.
 */
function realDeps(options: SealedOptions | undefined): PipelineDeps {
  if (options === undefined) return REAL_DEPS;
  return Object.freeze(Object.defineProperty({}, 'toJSON', { value: () => options.toJSON() }));
}

const REAL_DEPS: PipelineDeps = Object.freeze({});

// What each registration's factory loaded besides the service, by the service it returned: the
// registration's RefresherRef reads it. A service a test put in with overrideProvider has none.
const loadedBy = new WeakMap<SecretsService<object>, LoadedParts>();

/**
 * The providers and exports of one `DopplerModule` registration, for its name. `options` are the
 * options `forRoot()` was given, handed to the factory as they are; without them (`forRootAsync()`)
 * the factory injects the registration's options provider.
 */
export function registrationProviders(
  name: string | undefined,
  options: SealedOptions | undefined,
): {
  providers: Provider[];
  exports: unknown[];
} {
  const secrets = getSecretsServiceToken(name);
  const webhook = webhookHandlerToken(name, DopplerWebhookHandler);
  const load = async (sealed: SealedOptions, deps: PipelineDeps, modules: ModulesContainer) => {
    const { service, refresher } = await bootstrapSecrets(await sealed.resolve(), {
      ...deps,
      ...(name !== undefined && { name }),
    });
    instancesOf(modules).register(name, service);
    loadedBy.set(service, { ...(refresher !== undefined && { refresher }), deps });
    return service;
  };
  return {
    providers: [
      { provide: DOPPLER_PIPELINE_DEPS, useValue: realDeps(options) },
      // The provider that fetches: overriding it in a test replaces the fetch entirely.
      options !== undefined
        ? {
            provide: secrets,
            useFactory: (deps: PipelineDeps, modules: ModulesContainer) => load(options, deps, modules),
            inject: [DOPPLER_PIPELINE_DEPS, ModulesContainer],
          }
        : {
            provide: secrets,
            useFactory: load,
            inject: [MODULE_OPTIONS_TOKEN, DOPPLER_PIPELINE_DEPS, ModulesContainer],
          },
      {
        // The webhook handler apps inject, and also the registration's lifecycle (its change
        // handlers, starting and stopping refreshing): one provider for both. A factory, not the
        // class: Nest then reads no constructor metadata for it at boot.
        provide: webhook as string | typeof DopplerWebhookHandler,
        useFactory: (service: SecretsService<object>, modules: ModulesContainer) =>
          new RegistrationWebhookHandler(
            new RefresherRef(name, service, loadedBy.get(service), explorerOf(modules)),
          ),
        inject: [secrets, ModulesContainer],
      },
    ],
    exports: [secrets, webhook],
  };
}
