import { DopplerError } from '../errors/doppler.errors.js';
import { configOfServiceToken, describeScope, scopeConflicts, type DopplerScope } from './scope.js';

/** A set, a copy or a token for another project or config than the one this app serves. */
export function scopeMismatch(what: string, actual: DopplerScope, expected: DopplerScope): DopplerError {
  return new DopplerError(
    'DOPPLER_SCOPE_MISMATCH',
    `${what} is for ${describeScope(actual)}, but this app serves ${describeScope(expected)}; it was refused, ` +
      'so another environment’s secrets are never served. Check the token (its project and config) and the project/config options.',
  );
}

/**
 * Which project and config this app serves, fixed for the life of the process. Before anything
 * was served it is what the options say, with the config a service token names in its prefix
 * (`dp.st.dev.…`) standing in for a missing `config` option; the first set served (a download or
 * the fallback copy) pins it. From then on a set, a copy or a rotated token for another scope is
 * refused and the current set kept.
 */
export class ScopePin {
  readonly #declared: DopplerScope;
  #tokenConfig: string | undefined;
  #pinned: DopplerScope | undefined;

  constructor(declared: DopplerScope, token?: string) {
    this.#declared = declared;
    this.#tokenConfig = token === undefined ? undefined : configOfServiceToken(token);
  }

  /** What a set must be for, as far as it is known now. */
  get expected(): DopplerScope {
    if (this.#pinned) return this.#pinned;
    const config = this.#declared.config ?? this.#tokenConfig;
    return { ...(this.#declared.project && { project: this.#declared.project }), ...(config && { config }) };
  }

  /**
   * Checks a set about to be served, and pins the scope on the first one. Doppler's own answer to
   * a download is the authority on which config a service token reads, so before the pin a
   * download is held only to the options; a fallback copy is also held to the token's prefix.
   *
   * @throws {DopplerError} `DOPPLER_SCOPE_MISMATCH` naming both scopes.
   */
  admit(scope: DopplerScope, origin: 'download' | 'fallback copy'): void {
    const against = this.#pinned ?? (origin === 'download' ? this.#declared : this.expected);
    if (scopeConflicts(scope, against).length > 0) {
      throw scopeMismatch(
        origin === 'download' ? 'The set Doppler sent' : 'The fallback copy',
        scope,
        against,
      );
    }
    this.#pinned ??= {
      ...((scope.project ?? this.#declared.project) && { project: scope.project ?? this.#declared.project }),
      ...((scope.config ?? this.expected.config) && { config: scope.config ?? this.expected.config }),
    };
  }

  /**
   * Checks a rotated token before it is used: a service token whose prefix names another config
   * than the token it replaces is refused.
   *
   * @throws {DopplerError} `DOPPLER_SCOPE_MISMATCH`.
   */
  admitToken(token: string): void {
    const config = configOfServiceToken(token);
    if (config !== undefined && this.#tokenConfig !== undefined && config !== this.#tokenConfig) {
      throw scopeMismatch(
        'The rotated token (by its dp.st. prefix)',
        { config },
        this.#pinned ?? { config: this.#tokenConfig },
      );
    }
    this.#tokenConfig = config ?? this.#tokenConfig;
  }
}
