import { DopplerError } from '../client/doppler.errors.js';

/** One failed rule of one key: the rule's name and its message, never the value. */
export interface SecretConstraintIssue {
  /** class-validator's constraint name, e.g. `isUrl`. */
  readonly constraint: string;
  /** The rule's message with the key name removed and every value masked. */
  readonly message: string;
}

/** Everything wrong with one key. */
export interface SecretIssue {
  /** The key (a dotted path for nested objects). */
  readonly key: string;
  /** True when Doppler did not send the key at all. */
  readonly missing: boolean;
  readonly constraints: readonly SecretConstraintIssue[];
}

/**
 * The secrets Doppler returned do not satisfy the schema. Lists every failing key and
 * rule at once, so one deploy shows everything to fix. Holds names and rule messages
 * only: no value, not even from a custom message that uses `$value`.
 *
 * @example
 * // Doppler secrets for project "shop", config "prd" do not match AppSecrets:
 * // DATABASE_URL: must be a URL address; PORT: is missing.
 */
export class SecretsValidationError extends DopplerError {
  /** The failing keys with their rules, for tooling. */
  readonly issues: readonly SecretIssue[];
  /** Name of the schema class. */
  readonly schema: string;
  readonly project?: string;
  readonly config?: string;

  constructor(schema: string, issues: readonly SecretIssue[], scope: { project?: string; config?: string }) {
    const where =
      scope.project && scope.config
        ? `project "${scope.project}", config "${scope.config}"`
        : 'the configured project and config';
    const list = issues
      .map((i) => `${i.key}: ${i.missing ? 'is missing' : i.constraints.map((c) => c.message).join(', ')}`)
      .join('; ');
    super(
      'DOPPLER_SECRETS_INVALID',
      `Doppler secrets for ${where} do not match ${schema}: ${list}. ` +
        'Fix the values in that Doppler config (or the schema); values are never shown here.',
    );
    this.issues = issues;
    this.schema = schema;
    if (scope.project !== undefined) this.project = scope.project;
    if (scope.config !== undefined) this.config = scope.config;
  }
}
