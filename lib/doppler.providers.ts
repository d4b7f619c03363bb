import type { Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { getSecretsServiceToken, instancesOf, webhookHandlerToken } from './doppler-instances.js';
import { DOPPLER_PIPELINE_DEPS } from './doppler.constants.js';
import { MODULE_OPTIONS_TOKEN } from './doppler.module-definition.js';
import { bootstrapSecrets, type PipelineDeps } from './load-doppler-secrets.js';
import { DOPPLER_REFRESHER, RefresherRef, type LoadedParts } from './refresh/refresher-ref.js';
import { explorerOf } from './refresh/secrets-change.explorer.js';
import type { SecretsService } from './secrets.service.js';
import type { SealedOptions } from './options/deferred-options.js';
import { DopplerWebhookHandler } from './webhook/doppler-webhook.handler.js';

// The pipeline's dependencies a registration provides itself: none, so the real clock and logger.
// Tests replace the provider (fake time); an optional injection instead would cost every boot the
// exception Nest's injector throws and catches for an optional provider that is absent.
const REAL_DEPS: PipelineDeps = Object.freeze({});

// What each registration's factory loaded besides the service, by the service it returned: the
// registration's RefresherRef reads it. A service a test put in with overrideProvider has none.
const loadedBy = new WeakMap<SecretsService<object>, LoadedParts>();

/** The providers and exports of one `DopplerModule` registration, for its name. */
export function registrationProviders(name: string | undefined): {
  providers: Provider[];
  exports: unknown[];
} {
  const secrets = getSecretsServiceToken(name);
  const webhook = webhookHandlerToken(name, DopplerWebhookHandler);
  return {
    providers: [
      { provide: DOPPLER_PIPELINE_DEPS, useValue: REAL_DEPS },
      {
        // The provider that fetches: overriding it in a test replaces the fetch entirely.
        provide: secrets,
        useFactory: async (sealed: SealedOptions, modules: ModulesContainer, deps: PipelineDeps) => {
          const { service, refresher } = await bootstrapSecrets(await sealed.resolve(), {
            ...deps,
            ...(name !== undefined && { name }),
          });
          instancesOf(modules).register(name, service);
          loadedBy.set(service, { ...(refresher !== undefined && { refresher }), deps });
          return service;
        },
        inject: [MODULE_OPTIONS_TOKEN, ModulesContainer, DOPPLER_PIPELINE_DEPS],
      },
      {
        // Also the registration's lifecycle (its change handlers, starting and stopping refreshing).
        provide: DOPPLER_REFRESHER,
        useFactory: (service: SecretsService<object>, modules: ModulesContainer) =>
          new RefresherRef(name, service, loadedBy.get(service), explorerOf(modules)),
        inject: [secrets, ModulesContainer],
      },
      {
        // A factory, not the class: Nest then reads no constructor metadata for it at boot.
        provide: webhook as string | typeof DopplerWebhookHandler,
        useFactory: (ref: RefresherRef) => new DopplerWebhookHandler(ref),
        inject: [DOPPLER_REFRESHER],
      },
    ],
    exports: [secrets, webhook],
  };
}
