import type { Provider } from '@nestjs/common';
import {
  DOPPLER_INSTANCES,
  type DopplerInstances,
  getSecretsServiceToken,
  webhookHandlerToken,
} from './doppler-instances.js';
import { DOPPLER_PIPELINE_DEPS } from './doppler.constants.js';
import { MODULE_OPTIONS_TOKEN } from './doppler.module-definition.js';
import { bootstrapSecrets, type PipelineDeps } from './load-doppler-secrets.js';
import { DOPPLER_REFRESHER, RefresherRef } from './refresh/refresher-ref.js';
import type { SealedOptions } from './options/deferred-options.js';
import { DopplerWebhookHandler } from './webhook/doppler-webhook.handler.js';

/** The providers and exports of one `DopplerModule` registration, for its name. */
export function registrationProviders(name: string | undefined): {
  providers: Provider[];
  exports: unknown[];
} {
  const secrets = getSecretsServiceToken(name);
  const webhook = webhookHandlerToken(name, DopplerWebhookHandler);
  return {
    providers: [
      // Also the registration's lifecycle (starts and stops refreshing).
      { provide: DOPPLER_REFRESHER, useFactory: () => new RefresherRef() },
      {
        // The provider that fetches: overriding it in a test replaces the fetch entirely.
        provide: secrets,
        useFactory: async (
          sealed: SealedOptions,
          ref: RefresherRef,
          instances: DopplerInstances,
          deps: PipelineDeps | undefined,
        ) => {
          const { service, refresher } = await bootstrapSecrets(await sealed.resolve(), {
            ...deps,
            ...(name !== undefined && { name }),
          });
          ref.attach(service, refresher);
          instances.register(name, service);
          return service;
        },
        // The pipeline's dependencies are provided only by tests (fake time); apps give none.
        inject: [
          MODULE_OPTIONS_TOKEN,
          DOPPLER_REFRESHER,
          DOPPLER_INSTANCES,
          { token: DOPPLER_PIPELINE_DEPS, optional: true },
        ],
      },
      webhook === DopplerWebhookHandler
        ? DopplerWebhookHandler
        : { provide: webhook as string, useClass: DopplerWebhookHandler },
    ],
    exports: [secrets, webhook],
  };
}
