import type { Type } from '@nestjs/common';
import type { SecretsMetadata } from '../interfaces/secrets-metadata.interface.js';
import { SecretsState } from '../refresh/secrets-state.js';
import { serviceFor, type SecretsService } from '../secrets.service.js';
import { rawFormsOf } from '../core/raw-secrets.js';
import { declaredKeysOf } from '../validation/declared-keys.js';
import { validateSecretsSync, type SecretsSchema } from '../validation/validate-secrets.js';

export interface CreateSecretsServiceOptions<T extends object> {
  /** Plain values, as Doppler would send them (strings), keyed by name. */
  readonly values: Readonly<Record<string, string>>;
  /**
   * The app's schema class. When given, the values go through the same transformation and
   * validation as at bootstrap, so a test cannot pass with secrets production would refuse.
   */
  readonly schema?: Type<T> | SecretsSchema;
  /** Metadata to report (defaults: source `static`, fetched now). */
  readonly metadata?: Partial<SecretsMetadata>;
}

/**
 * Builds a {@link SecretsService} from plain values, for
 * `overrideProvider(SecretsService).useValue(...)`: the app boots with no token and no
 * network.
 *
 * @throws {SecretsValidationError} when `schema` is given and the values do not match it.
 * @example
 * const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
 *   .overrideProvider(SecretsService)
 *   .useValue(createSecretsService({ schema: AppSecrets, values: { DATABASE_URL: 'postgres://test', PORT: '3000' } }))
 *   .compile();
 */
export function createSecretsService<T extends object>(
  options: CreateSecretsServiceOptions<T>,
): SecretsService<T> {
  const metadata: SecretsMetadata = {
    source: 'static',
    fetchedAt: new Date(),
    ...options.metadata,
  };
  const scope = {
    ...(metadata.project !== undefined && { project: metadata.project }),
    ...(metadata.config !== undefined && { config: metadata.config }),
  };
  const values = validateSecretsSync(options.schema, options.values, scope);
  const declared = declaredKeysOf(options.schema);
  return serviceFor(
    new SecretsState<T>({
      values,
      metadata,
      raw: options.values,
      rawForms: rawFormsOf(values, options.values),
      ...(declared !== undefined && { declared }),
    }),
  );
}
