import type { FactoryProvider, Provider } from '@nestjs/common';
import type { DopplerModuleOptions } from '../interfaces/doppler-module-options.interface.js';

/**
 * The options factory of `forRootAsync()`, with its dependencies resolved but not yet
 * called. Nest builds every provider of a module, so a factory that does
 * `config.getOrThrow('DOPPLER_TOKEN')` would fail a test that overrides
 * `SecretsService` and has no token. Deferring the call to `SecretsService`'s own factory
 * means an overridden service never asks for the token.
 */
export class DeferredOptions {
  constructor(private readonly create: () => DopplerModuleOptions | Promise<DopplerModuleOptions>) {}

  resolve(): Promise<DopplerModuleOptions> {
    return Promise.resolve(this.create());
  }
}

/** Options as injected: given directly to `forRoot()`, or deferred by `forRootAsync()`. */
export type InjectedOptions = DopplerModuleOptions | DeferredOptions;

export function resolveInjectedOptions(injected: InjectedOptions): Promise<DopplerModuleOptions> {
  return injected instanceof DeferredOptions ? injected.resolve() : Promise.resolve(injected);
}

/** Rewrites the options provider made by `ConfigurableModuleBuilder` to defer its factory. */
export function deferOptionsProvider(providers: Provider[] | undefined, token: string | symbol): Provider[] {
  return (providers ?? []).map((provider) => {
    if (typeof provider !== 'object' || !('provide' in provider) || provider.provide !== token)
      return provider;
    if (!('useFactory' in provider)) return provider;
    const factory = provider as FactoryProvider<DopplerModuleOptions>;
    const deferred: FactoryProvider<DeferredOptions> = {
      provide: token,
      inject: factory.inject ?? [],
      useFactory: (...deps: unknown[]) => new DeferredOptions(() => factory.useFactory(...deps)),
    };
    return deferred;
  });
}
