import { Module, type Type } from '@nestjs/common';
import { DopplerModule, loadDopplerSecrets, type SecretsService } from 'nestjs-doppler';
import { AppSecrets, BENCH_TOKEN } from './schemas.js';

/** (b): the library, registered as a user would. */
export function dopplerModule(apiUrl: string): Type<unknown> {
  @Module({ imports: [DopplerModule.forRoot({ token: BENCH_TOKEN, apiUrl, schema: AppSecrets })] })
  class DopplerAppModule {}
  return DopplerAppModule;
}

/**
 * (e), a diagnostic: the library's fetch path (loadDopplerSecrets: options, client, download,
 * validation, service) in one plain factory provider, without DopplerModule's wiring
 * (ConfigurableModuleBuilder, options provider, lifecycle and webhook providers). Splits
 * (b - c) into wiring, (b - e), and fetch path, (e - c).
 */
export function loaderOnlyModule(provide: symbol, apiUrl: string): Type<unknown> {
  @Module({
    providers: [
      {
        provide,
        useFactory: (): Promise<SecretsService<AppSecrets>> =>
          loadDopplerSecrets<AppSecrets>({ token: BENCH_TOKEN, apiUrl, schema: AppSecrets }),
      },
    ],
  })
  class LoaderOnlyModule {}
  return LoaderOnlyModule;
}
