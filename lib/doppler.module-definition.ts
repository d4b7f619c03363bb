import { ConfigurableModuleBuilder } from '@nestjs/common';
import { DOPPLER_MODULE_OPTIONS } from './doppler.constants.js';
import type { DopplerModuleOptions } from './interfaces/doppler-module-options.interface.js';

export const {
  ConfigurableModuleClass: ConfigurableDopplerModule,
  MODULE_OPTIONS_TOKEN,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<DopplerModuleOptions>({
  moduleName: 'Doppler',
  optionsInjectionToken: DOPPLER_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createDopplerOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** What `DopplerModule.forRoot()` takes: the options plus `isGlobal`. */
export type DopplerModuleStaticOptions = typeof OPTIONS_TYPE;

/** What `DopplerModule.forRootAsync()` takes: `useFactory`/`useClass`/`useExisting`, `inject`, `imports`, `isGlobal`. */
export type DopplerModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
