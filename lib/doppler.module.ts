import { type DynamicModule, Module } from '@nestjs/common';
import {
  ConfigurableDopplerModule,
  MODULE_OPTIONS_TOKEN,
  type DopplerModuleAsyncOptions,
  type DopplerModuleStaticOptions,
} from './doppler.module-definition.js';
import { DOPPLER_PIPELINE_DEPS } from './doppler.constants.js';
import { bootstrapSecrets, type PipelineDeps } from './load-doppler-secrets.js';
import { DopplerLifecycle } from './refresh/doppler-lifecycle.js';
import { DOPPLER_REFRESHER, RefresherRef } from './refresh/refresher-ref.js';
import { SecretsService } from './secrets.service.js';
import { sealOptionsProvider, type SealedOptions } from './utils/deferred-options.js';
import { DopplerWebhookHandler } from './webhook/doppler-webhook.handler.js';

/**
 * Fetches the app's secrets from Doppler during bootstrap, validates them against the
 * schema and provides them as {@link SecretsService}. Bootstrap fails, with a
 * {@link DopplerError} that says what to do, when the token is wrong, Doppler is out of
 * reach within the timeout, or the secrets do not match the schema.
 *
 * @example
 * @Module({
 *   imports: [
 *     ConfigModule.forRoot(),
 *     DopplerModule.forRootAsync({
 *       imports: [ConfigModule],
 *       inject: [ConfigService],
 *       useFactory: (config: ConfigService) => ({ token: config.getOrThrow('DOPPLER_TOKEN'), schema: AppSecrets }),
 *       isGlobal: true,
 *     }),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({
  providers: [
    { provide: DOPPLER_REFRESHER, useFactory: () => new RefresherRef() },
    {
      provide: SecretsService,
      useFactory: async (sealed: SealedOptions, ref: RefresherRef, deps: PipelineDeps | undefined) => {
        const { service, refresher } = await bootstrapSecrets(await sealed.resolve(), deps);
        ref.attach(service, refresher);
        return service;
      },
      // The pipeline's dependencies are provided only by tests (fake time); apps give none.
      inject: [MODULE_OPTIONS_TOKEN, DOPPLER_REFRESHER, { token: DOPPLER_PIPELINE_DEPS, optional: true }],
    },
    DopplerLifecycle,
    DopplerWebhookHandler,
  ],
  exports: [SecretsService, DopplerWebhookHandler],
})
export class DopplerModule extends ConfigurableDopplerModule {
  /**
   * Registers the module with options given now. They are kept sealed: printing the app never
   * shows the token, the webhook secret or the fallback passphrase.
   */
  static override forRoot(options: DopplerModuleStaticOptions): DynamicModule {
    const definition = super.forRoot(options);
    return { ...definition, providers: sealOptionsProvider(definition.providers, MODULE_OPTIONS_TOKEN) };
  }

  /**
   * Registers the module with options computed at bootstrap (`useFactory` + `inject` +
   * `imports`, `useClass` or `useExisting`), e.g. to read the token from `ConfigService`.
   * The options factory runs only when `SecretsService` is built, so a test that
   * overrides `SecretsService` needs no token.
   */
  static override forRootAsync(options: DopplerModuleAsyncOptions): DynamicModule {
    const definition = super.forRootAsync(options);
    return { ...definition, providers: sealOptionsProvider(definition.providers, MODULE_OPTIONS_TOKEN) };
  }
}
