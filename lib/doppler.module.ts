import { type DynamicModule, Module } from '@nestjs/common';
import {
  ConfigurableDopplerModule,
  MODULE_OPTIONS_TOKEN,
  type DopplerModuleAsyncOptions,
} from './doppler.module-definition.js';
import { DopplerLifecycle } from './refresh/doppler-lifecycle.js';
import { attachRefresher } from './refresh/refresher-registry.js';
import { SecretsRefresher } from './refresh/secrets-refresher.js';
import { SecretsLoader } from './secrets-loader.js';
import { loadFromEnvironment } from './sources/load-from-environment.js';
import { selectSource } from './sources/select-source.js';
import { DopplerWebhookHandler } from './webhook/doppler-webhook.handler.js';
import { SecretsService } from './secrets.service.js';
import {
  deferOptionsProvider,
  resolveInjectedOptions,
  type InjectedOptions,
} from './utils/deferred-options.js';

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
    {
      provide: SecretsService,
      useFactory: async (injected: InjectedOptions) => {
        const options = await resolveInjectedOptions(injected);
        if (selectSource(options) === 'env') return loadFromEnvironment(options);
        const loader = await SecretsLoader.create(options);
        const service = await loader.bootstrap();
        if (loader.resolved.refresh || loader.resolved.webhook) {
          attachRefresher(service, new SecretsRefresher(loader, service));
        }
        return service;
      },
      inject: [MODULE_OPTIONS_TOKEN],
    },
    DopplerLifecycle,
    DopplerWebhookHandler,
  ],
  exports: [SecretsService, DopplerWebhookHandler],
})
export class DopplerModule extends ConfigurableDopplerModule {
  /**
   * Registers the module with options computed at bootstrap (`useFactory` + `inject` +
   * `imports`, `useClass` or `useExisting`), e.g. to read the token from `ConfigService`.
   * The options factory runs only when `SecretsService` is built, so a test that
   * overrides `SecretsService` needs no token.
   */
  static override forRootAsync(options: DopplerModuleAsyncOptions): DynamicModule {
    const definition = super.forRootAsync(options);
    return { ...definition, providers: deferOptionsProvider(definition.providers, MODULE_OPTIONS_TOKEN) };
  }
}
