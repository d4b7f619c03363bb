import { Inject } from '@nestjs/common';
import { perApp } from './core/per-app.js';
import { DopplerConfigurationError } from './errors/doppler.errors.js';
import { SecretsService } from './secrets.service.js';

/** Names of `DopplerModule` registrations: a letter, then letters, digits, `_` and `-`. */
const INSTANCE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * The injection token of one registration's {@link SecretsService}: the class itself for the
 * unnamed registration, a string token for a named one.
 *
 * @example
 * Test.createTestingModule({ imports: [AppModule] })
 *   .overrideProvider(getSecretsServiceToken('platform'))
 *   .useValue(createSecretsService({ values: { SHARED_KEY: 'test' } }));
 * @throws {DopplerConfigurationError} for a name that is not a plain name.
 */
export function getSecretsServiceToken(name?: string): string | typeof SecretsService {
  return name === undefined ? SecretsService : `DOPPLER:SECRETS:${checkInstanceName(name)}`;
}

/** The injection token of one registration's `DopplerWebhookHandler` (the class for the unnamed one). */
export function webhookHandlerToken(name: string | undefined, unnamed: unknown): unknown {
  return name === undefined ? unnamed : `DOPPLER:WEBHOOK:${checkInstanceName(name)}`;
}

/**
 * Injects the {@link SecretsService} of the registration named `name` (`DopplerModule.forRoot({
 * name, ... })`); without a name, the unnamed one, as injecting `SecretsService` by type does.
 *
 * @example
 * constructor(@InjectSecrets('platform') private readonly platform: SecretsService<PlatformSecrets>) {}
 */
export function InjectSecrets(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getSecretsServiceToken(name));
}

/** @throws {DopplerConfigurationError} for a name that is not a plain name. */
export function checkInstanceName(name: unknown): string {
  if (typeof name !== 'string' || !INSTANCE_NAME.test(name)) {
    throw new DopplerConfigurationError(
      'The name of a DopplerModule registration must be a plain name (a letter, then up to 63 letters, digits, _ or -), e.g. "platform".',
    );
  }
  return name;
}

/**
 * Every `SecretsService` the app's `DopplerModule` registrations loaded, by name (`undefined` for
 * the unnamed one), for what must see them all: the health indicator, the redacting logger. A
 * service a test put in with `overrideProvider` is not here (nothing was loaded).
 */
export class DopplerInstances {
  readonly #services = new Map<string | undefined, SecretsService<object>>();

  /** @throws {DopplerConfigurationError} when the name is registered twice. */
  register(name: string | undefined, service: SecretsService<object>): void {
    if (this.#services.has(name)) {
      throw new DopplerConfigurationError(
        name === undefined
          ? 'DopplerModule is registered twice without a name: give each registration its own name option.'
          : `DopplerModule is registered twice with the name "${name}": each registration needs its own name.`,
      );
    }
    this.#services.set(name, service);
  }

  get(name: string | undefined): SecretsService<object> | undefined {
    return this.#services.get(name);
  }

  /** Every registration, the unnamed one first. */
  entries(): [string | undefined, SecretsService<object>][] {
    return [...this.#services].sort(([a], [b]) =>
      a === undefined ? -1 : b === undefined ? 1 : a.localeCompare(b),
    );
  }

  get size(): number {
    return this.#services.size;
  }
}

/** The registry of the app whose module container is given, made on first use. */
export const instancesOf = perApp(() => new DopplerInstances());
