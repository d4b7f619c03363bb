import type { Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { getSecretsServiceToken, instancesOf, webhookHandlerToken } from './doppler-instances.js';
import { DOPPLER_PIPELINE_DEPS } from './doppler.constants.js';
import { MODULE_OPTIONS_TOKEN } from './doppler.module-definition.js';
import { bootstrapSecrets, type PipelineDeps } from './load-doppler-secrets.js';
import { DOPPLER_REFRESHER, RefresherRef, type LoadedParts } from './refresh/refresher-ref.js';
import { explorerOf } from './refresh/secrets-change.explorer.js';
import type { SecretsService } from './secrets.service.js';
import type { SealedOptions } from './utils/deferred-options.js';
import { DopplerWebhookHandler } from './webhook/doppler-webhook.handler.js';

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
      {
        // The provider that fetches: overriding it in a test replaces the fetch entirely.
        provide: secrets,
        useFactory: async (
          sealed: SealedOptions,
          modules: ModulesContainer,
          deps: PipelineDeps | undefined,
        ) => {
          const { service, refresher } = await bootstrapSecrets(await sealed.resolve(), {
            ...deps,
            ...(name !== undefined && { name }),
          });
          instancesOf(modules).register(name, service);
          loadedBy.set(service, {
            ...(refresher !== undefined && { refresher }),
            ...(deps !== undefined && { deps }),
          });
          return service;
        },
        // The pipeline's dependencies are provided only by tests (fake time); apps give none.
        inject: [MODULE_OPTIONS_TOKEN, ModulesContainer, { token: DOPPLER_PIPELINE_DEPS, optional: true }],
      },
      {
        // Also the registration's lifecycle (its change handlers, starting and stopping refreshing).
        provide: DOPPLER_REFRESHER,
        useFactory: (service: SecretsService<object>, modules: ModulesContainer) =>
          new RefresherRef(name, service, loadedBy.get(service), explorerOf(modules)),
        inject: [secrets, ModulesContainer],
      },
      webhook === DopplerWebhookHandler
        ? DopplerWebhookHandler
        : { provide: webhook as string, useClass: DopplerWebhookHandler },
    ],
    exports: [secrets, webhook],
  };
}
