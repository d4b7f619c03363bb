import { type DynamicModule, Global, Module } from '@nestjs/common';
import { DOPPLER_PIPELINE_DEPS } from '../../lib/doppler.constants.js';
import type { PipelineDeps } from '../../lib/load-doppler-secrets.js';

/**
 * Gives every `DopplerModule` of an app the pipeline's dependencies (a FakeClock, few PBKDF2
 * rounds): import it beside the app's own modules in a test.
 *
 * @example
 * Test.createTestingModule({ imports: [PipelineDepsModule.with({ clock }), AppModule] })
 */
@Global()
@Module({})
export class PipelineDepsModule {
  static with(deps: PipelineDeps): DynamicModule {
    return {
      module: PipelineDepsModule,
      providers: [{ provide: DOPPLER_PIPELINE_DEPS, useValue: deps }],
      exports: [DOPPLER_PIPELINE_DEPS],
    };
  }
}
