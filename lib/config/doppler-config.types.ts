import type { Secret } from '../secret.js';

/**
 * The Doppler secrets as `ConfigService` holds them under the namespace: each schema
 * property as a masked {@link Secret} of its type. An optional property of the schema is
 * optional here too, since Doppler may not send it.
 *
 * @example
 * const db: DopplerSecretsConfig<AppSecrets> = config.get('doppler', { infer: true });
 * db.DATABASE_URL; // Secret<string>
 */
export type DopplerSecretsConfig<T extends object = Record<string, string>> = {
  readonly [K in keyof T as K extends string ? K : never]: Secret<Exclude<T[K], undefined>>;
};

/**
 * The shape `DopplerConfigModule` adds to `ConfigService`'s configuration, for typing
 * `ConfigService<..., true>` so that `get('doppler.KEY', { infer: true })` is the schema's
 * `Secret<type>`. Intersect it with the app's own configuration type. `Namespace` must match
 * the `namespace` option.
 *
 * @default Namespace 'doppler'
 * @example
 * constructor(private readonly config: ConfigService<EnvVars & DopplerConfig<AppSecrets>, true>) {}
 *
 * connect() {
 *   const url = this.config.get('doppler.DATABASE_URL', { infer: true }); // Secret<string>
 *   return createPool(url.reveal());
 * }
 */
export type DopplerConfig<T extends object = Record<string, string>, Namespace extends string = 'doppler'> = {
  readonly [N in Namespace]: DopplerSecretsConfig<T>;
};
