import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DopplerModuleOptions } from './interfaces/doppler-module-options.interface.js';

/** Internal injection token of one registration's (sealed) options. */
export const DOPPLER_MODULE_OPTIONS = 'DOPPLER:MODULE_OPTIONS';

/** What a registration adds besides its options: scope and name. */
export interface DopplerModuleExtras {
  /** Makes this registration's `SecretsService` injectable everywhere. @default false */
  isGlobal?: boolean;
  /**
   * Names this registration, for an app that reads several configs (its own and a shared one):
   * its service is injected with `@InjectSecrets(name)` instead of by type. One unnamed
   * registration at most, and each name once, per app.
   * @default undefined (the unnamed registration, injected as `SecretsService`)
   */
  name?: string;
}

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
  // The name is read by DopplerModule itself, which builds each registration's providers.
  // Every extra must be a key here, even undefined: Nest strips only these from the options.
  .setExtras<DopplerModuleExtras>({ isGlobal: false, name: undefined }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal === true,
  }))
  .build();

/** What `DopplerModule.forRoot()` takes: the options plus `isGlobal` and `name`. */
export type DopplerModuleStaticOptions = typeof OPTIONS_TYPE;

/** What `DopplerModule.forRootAsync()` takes: `useFactory`/`useClass`/`useExisting`, `inject`, `imports`, `isGlobal`, `name`. */
export type DopplerModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
