import { type DynamicModule, Module } from '@nestjs/common';
import { checkInstanceName } from './doppler-instances.js';
import {
  ConfigurableDopplerModule,
  MODULE_OPTIONS_TOKEN,
  type DopplerModuleAsyncOptions,
  type DopplerModuleStaticOptions,
} from './doppler.module-definition.js';
import { registrationProviders } from './doppler.providers.js';
import { sealOptions } from './options/deferred-options.js';

/**
 * Fetches the app's secrets from Doppler during bootstrap, validates them against the
 * schema and provides them as {@link SecretsService}. Bootstrap fails, with a
 * {@link DopplerError} that says what to do, when the token is wrong, Doppler is out of
 * reach within the timeout, or the secrets do not match the schema.
 *
 * Register it more than once, each with a `name`, to read several configs (the app's own and
 * a shared one); each registration has its own source, schema, refresh and fallback.
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
@Module({})
export class DopplerModule extends ConfigurableDopplerModule {
  /**
   * Registers the module with options given now. They are kept sealed: printing the app never
   * shows the token, the webhook secret or the fallback passphrase.
   *
   * @throws {DopplerConfigurationError} for a `name` that is not a plain name.
   */
  static override forRoot(options: DopplerModuleStaticOptions): DynamicModule {
    return DopplerModule.registration(super.forRoot(options), options.name);
  }

  /**
   * Registers the module with options computed at bootstrap (`useFactory` + `inject` +
   * `imports`, `useClass` or `useExisting`), e.g. to read the token from `ConfigService`.
   * The options factory runs only when `SecretsService` is built, so a test that
   * overrides `SecretsService` needs no token.
   *
   * @throws {DopplerConfigurationError} for a `name` that is not a plain name.
   */
  static override forRootAsync(options: DopplerModuleAsyncOptions): DynamicModule {
    return DopplerModule.registration(super.forRootAsync(options), options.name);
  }

  private static registration(definition: DynamicModule, name: string | undefined): DynamicModule {
    if (name !== undefined) checkInstanceName(name);
    const sealed = sealOptions(definition.providers, MODULE_OPTIONS_TOKEN);
    const own = registrationProviders(name, sealed.options);
    return {
      ...definition,
      providers: [...sealed.providers, ...own.providers],
      exports: [...(definition.exports ?? []), ...(own.exports as string[])],
    };
  }
}
