import type { FactoryProvider, Provider } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { DopplerModuleOptions } from '../interfaces/doppler-module-options.interface.js';

/**
 * The module's options as a registration holds them: in a private field, so printing the app
 * (`util.inspect(app, { depth: 7 })`, a debugger, an error that carries the module) never shows
 * the token, the webhook secret or the fallback passphrase. `forRoot()` seals the options it is
 * given; `forRootAsync()` seals its factory, whose call is also deferred: Nest builds every
 * provider of a module, so a factory that does `config.getOrThrow('DOPPLER_TOKEN')` would fail a
 * test that overrides `SecretsService` and has no token. Deferring the call to
 * `SecretsService`'s own factory means an overridden service never asks for the token.
 */
export class SealedOptions {
  readonly #create: () => DopplerModuleOptions | Promise<DopplerModuleOptions>;
  // Stands for the options where Nest serialises module metadata (the registration's pipeline
  // deps name it): unique per registration, so two registrations never look alike, and free of
  // anything secret.
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

/** A registration's providers with its options sealed: in hand when they were given now, else a provider. */
export interface SealedRegistration {
  /** The options `forRoot()` was given; undefined for `forRootAsync()`, whose provider is in `providers`. */
  readonly options: SealedOptions | undefined;
  readonly providers: Provider[];
}

/**
 * Seals the options provider made by `ConfigurableModuleBuilder` (and defers a factory). Options
 * given now need no provider: they are handed over in `options`, and the provider dropped, so a
 * boot neither builds nor injects it.
 */
export function sealOptions(providers: Provider[] | undefined, token: string | symbol): SealedRegistration {
  let options: SealedOptions | undefined;
  const sealed: Provider[] = [];
  for (const provider of providers ?? []) {
    if (typeof provider !== 'object' || !('provide' in provider) || provider.provide !== token) {
      sealed.push(provider);
    } else if ('useValue' in provider) {
      const given = provider.useValue as DopplerModuleOptions;
      options = new SealedOptions(() => given);
    } else if ('useFactory' in provider) {
      const factory = provider as FactoryProvider<DopplerModuleOptions>;
      const deferred: FactoryProvider<SealedOptions> = {
        provide: token,
        inject: factory.inject ?? [],
        useFactory: (...deps: unknown[]) => new SealedOptions(() => factory.useFactory(...deps)),
      };
      sealed.push(deferred);
    } else {
      sealed.push(provider);
    }
  }
  return { options, providers: sealed };
}
