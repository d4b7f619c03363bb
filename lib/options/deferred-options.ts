import type { FactoryProvider, Provider } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { DopplerModuleOptions } from '../interfaces/doppler-module-options.interface.js';

/**
 * The module's options as Nest's container holds them: in a private field, so printing the app
 * (`util.inspect(app, { depth: 7 })`, a debugger, an error that carries the module) never shows
 * the token, the webhook secret or the fallback passphrase. `forRoot()` seals the options it is
 * given; `forRootAsync()` seals its factory, whose call is also deferred: Nest builds every
 * provider of a module, so a factory that does `config.getOrThrow('DOPPLER_TOKEN')` would fail a
 * test that overrides `SecretsService` and has no token. Deferring the call to
 * `SecretsService`'s own factory means an overridden service never asks for the token.
 */
export class SealedOptions {
  readonly #create: () => DopplerModuleOptions | Promise<DopplerModuleOptions>;
  // Stands for the options where Nest serialises module metadata: unique per registration, so
  // two registrations never look alike, and free of anything secret.
  readonly #id = randomUUID();

  constructor(create: () => DopplerModuleOptions | Promise<DopplerModuleOptions>) {
    this.#create = create;
  }

  resolve(): Promise<DopplerModuleOptions> {
    return Promise.resolve().then(() => this.#create());
  }

  toJSON(): string {
    return `DopplerModuleOptions(${this.#id})`;
  }

  [inspect.custom](): string {
    return 'DopplerModuleOptions { [hidden] }';
  }
}

/** Rewrites the options provider made by `ConfigurableModuleBuilder` so the options are sealed (and a factory deferred). */
export function sealOptionsProvider(providers: Provider[] | undefined, token: string | symbol): Provider[] {
  return (providers ?? []).map((provider) => {
    if (typeof provider !== 'object' || !('provide' in provider) || provider.provide !== token)
      return provider;
    if ('useValue' in provider) {
      const options = provider.useValue as DopplerModuleOptions;
      return { provide: token, useValue: new SealedOptions(() => options) };
    }
    if (!('useFactory' in provider)) return provider;
    const factory = provider as FactoryProvider<DopplerModuleOptions>;
    const sealed: FactoryProvider<SealedOptions> = {
      provide: token,
      inject: factory.inject ?? [],
      useFactory: (...deps: unknown[]) => new SealedOptions(() => factory.useFactory(...deps)),
    };
    return sealed;
  });
}
