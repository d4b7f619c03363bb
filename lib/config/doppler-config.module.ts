import { type DynamicModule, Module, type OnModuleDestroy } from '@nestjs/common';
import { ConfigModule, registerAs } from '@nestjs/config';
import { inspect } from 'node:util';
import type { Subscription } from 'rxjs';
import { getSecretsServiceToken } from '../doppler-instances.js';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import type { Secret } from '../secret.js';
import { SecretsService } from '../secrets.service.js';

/** Options of {@link DopplerConfigModule.forRoot}. */
export interface DopplerConfigModuleOptions {
  /**
   * The top-level key the secrets appear under in `ConfigService`: `doppler.DATABASE_URL`.
   * Letters, digits, `_` and `-`, starting with a letter or `_`; no dot, since a dot would
   * nest it and `get()`'s typing could not follow. It must not be a key of the app's own
   * configuration: the one registered last would replace the other.
   * @default 'doppler'
   */
  namespace?: string;
  /**
   * The `name` of the `DopplerModule` registration whose secrets to register; register
   * `DopplerConfigModule` once per registration, each under its own namespace.
   * @default undefined (the unnamed registration)
   */
  instance?: string;
}

/** The object registered under the namespace: one getter per key held. */
type NamespaceView = Record<string, Secret<unknown>>;

const NAMESPACE_VIEW = Symbol('nestjs-doppler:config-namespace-view');
const NAMESPACE_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Keeps the namespace's keys equal to the keys `SecretsService` holds. Values are getters
 * that read the current set, so a value is never older than `SecretsService` itself, even
 * for a `changes` subscriber that runs before this one; only added and removed names wait
 * for the change notification, which comes synchronously with the swap.
 */
class DopplerConfigSync implements OnModuleDestroy {
  readonly #subscription: Subscription;

  // The view is filled here, while the container is built, rather than in onModuleInit:
  // a provider that reads ConfigService in its own onModuleInit then already sees it.
  constructor(secrets: SecretsService, view: NamespaceView) {
    syncNamespace(view, secrets);
    this.#subscription = secrets.changes.subscribe(() => syncNamespace(view, secrets));
  }

  onModuleDestroy(): void {
    this.#subscription.unsubscribe();
  }
}

function syncNamespace(view: NamespaceView, secrets: SecretsService): void {
  const held = new Set<string>(secrets.keys());
  for (const key of Object.keys(view)) {
    if (!held.has(key)) delete view[key];
  }
  for (const key of held) {
    if (Object.hasOwn(view, key)) continue;
    Object.defineProperty(view, key, {
      // A key removed in a refresh reads as undefined until the notification deletes it.
      get: () => (secrets.has(key) ? secrets.get(key) : undefined),
      enumerable: true,
      // Configurable so a later refresh that removes the key can delete it.
      configurable: true,
    });
  }
}

/**
 * Makes the Doppler secrets readable through `@nestjs/config`'s `ConfigService`, under a
 * namespace (`doppler` by default), as masked {@link Secret} objects:
 * `config.get('doppler.DATABASE_URL')` is the same `Secret` as
 * `secrets.get('DATABASE_URL')`. Printing `ConfigService` or its configuration shows masks,
 * never a value. With `refresh` on, the namespace follows every refresh: changed values at
 * once, added and removed names with the change notification.
 *
 * Needs `SecretsService` injectable in it: register `DopplerModule` with `isGlobal: true`.
 * The secrets are there once the app's providers are built (from `onModuleInit` on): a
 * provider that reads them in its constructor or in `DopplerModule`'s options factory sees
 * `undefined`.
 *
 * Why not `ConfigService.set()`: it also writes `String(value)` to `process.env` (the mask,
 * or `'undefined'` for a removed key, which `get()` then returns from there) and re-reads the
 * `.env` files on every call. The secrets are registered instead as a partial configuration
 * with `registerAs()` and `ConfigModule.forFeature()`, @nestjs/config's public API, whose
 * object is kept current here. `ConfigService.changes$` does not emit for them: subscribe to
 * `SecretsService.changes`.
 *
 * @throws {DopplerConfigurationError} from `forRoot` when `namespace` is not a plain name.
 * @example
 * @Module({
 *   imports: [
 *     ConfigModule.forRoot({ isGlobal: true }),
 *     DopplerModule.forRoot({ token: process.env.DOPPLER_TOKEN, schema: AppSecrets, isGlobal: true }),
 *     DopplerConfigModule.forRoot(),
 *   ],
 * })
 * export class AppModule {}
 *
 * // anywhere:
 * constructor(private readonly config: ConfigService<DopplerConfig<AppSecrets>, true>) {}
 * const url = this.config.get('doppler.DATABASE_URL', { infer: true }); // Secret<string>
 */
@Module({})
export class DopplerConfigModule {
  /**
   * Registers the secrets in `ConfigService` under `namespace`.
   *
   * @throws {DopplerConfigurationError} when `namespace` is empty or holds anything but
   *   letters, digits, `_` and `-` (a dot would nest it).
   */
  static forRoot(options: DopplerConfigModuleOptions = {}): DynamicModule {
    const namespace = options.namespace ?? 'doppler';
    if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace)) {
      throw new DopplerConfigurationError(
        `DopplerConfigModule's namespace must be a plain name (letters, digits, _ and -, starting with a letter or _), got ${JSON.stringify(namespace)}.`,
      );
    }
    // One object per registration: @nestjs/config stores this very object under the
    // namespace (it does not copy it), so keeping it current keeps ConfigService current.
    const view: NamespaceView = {};
    // Getters print as `[Getter]`; show the names with their masks instead, as SecretsService
    // does. A symbol, not enumerable: ConfigService's path lookups and Object.keys ignore it.
    Object.defineProperty(view, inspect.custom, {
      value: () => Object.fromEntries(Object.keys(view).map((key) => [key, view[key]])),
    });
    return {
      module: DopplerConfigModule,
      imports: [ConfigModule.forFeature(registerAs(namespace, () => view))],
      providers: [
        { provide: NAMESPACE_VIEW, useValue: view },
        {
          provide: DopplerConfigSync,
          useFactory: (secrets: SecretsService, shown: NamespaceView) =>
            new DopplerConfigSync(secrets, shown),
          inject: [getSecretsServiceToken(options.instance), NAMESPACE_VIEW],
        },
      ],
    };
  }
}
