import { Module } from '@nestjs/common';
import { ConfigurableDopplerModule, MODULE_OPTIONS_TOKEN } from './doppler.module-definition.js';
import type { DopplerModuleOptions } from './interfaces/doppler-module-options.interface.js';
import { loadSecrets } from './load-secrets.js';
import { SecretsService } from './secrets.service.js';

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
      useFactory: (options: DopplerModuleOptions) => loadSecrets(options),
      inject: [MODULE_OPTIONS_TOKEN],
    },
  ],
  exports: [SecretsService],
})
export class DopplerModule extends ConfigurableDopplerModule {}
