import { DopplerError } from './doppler.errors.js';
import { describeScope } from '../core/scope.js';

/** One failed rule of one key: the rule's name and its message, never the value. */
export interface SecretConstraintIssue {
  /**
   * The rule's name: class-validator's constraint (`isUrl`), `schema` for a Standard Schema
   * issue, `transform` when the key's transform threw, `validator` when a validator threw.
   */
  readonly constraint: string;
  /**
   * The rule's message with the key name removed, cut to 300 characters, and every run of 4
   * or more characters it shares with a secret value (or a rendering or derived form of one)
   * masked, as is any whole value standing as a word.
   */
  readonly message: string;
}

/** Everything wrong with one key. */
export interface SecretIssue {
  /**
   * The key: the secret's name, then (for a value the schema parsed) a dotted path whose
   * segments are numbers, or names that occur in no value, or `**********`. `(all)` for a
   * failure of the schema as a whole.
   */
  readonly key: string;
  /** True when Doppler did not send the key at all. */
  readonly missing: boolean;
  readonly constraints: readonly SecretConstraintIssue[];
}

/**
 * The secrets Doppler returned do not satisfy the schema. Lists every failing key and
 * rule at once (the first 100 keys, then how many more), so one deploy shows everything to
 * fix. Holds names and rule messages only: no value, not even from a custom message that
 * quotes it or a transform that throws with it; never a `cause`.
 *
 * @example
 * // Doppler secrets for project "shop", config "prd" do not match AppSecrets:
 * // DATABASE_URL: must be a URL address; PORT: is missing.
 */
export class SecretsValidationError extends DopplerError {
  /** The failing keys with their rules, for tooling. */
  readonly issues: readonly SecretIssue[];
  /** How many more failing keys there were beyond those in `issues`. */
  readonly unlistedIssues: number;
  /** Name of the schema class. */
  readonly schema: string;
  readonly project?: string;
  readonly config?: string;

  constructor(
    schema: string,
    issues: readonly SecretIssue[],
    scope: { project?: string; config?: string },
    unlistedIssues = 0,
  ) {
    // The scope may come from the server's DOPPLER_PROJECT/DOPPLER_CONFIG: printed escaped.
    const where = scope.project && scope.config ? describeScope(scope) : 'the configured project and config';
    const list = issues
      .map((i) => `${i.key}: ${i.missing ? 'is missing' : i.constraints.map((c) => c.message).join(', ')}`)
      .join('; ');
    const more = unlistedIssues > 0 ? `; and ${unlistedIssues} more` : '';
    super(
      'DOPPLER_SECRETS_INVALID',
      `Doppler secrets for ${where} do not match ${schema}: ${list}${more}. ` +
        'Fix the values in that Doppler config (or the schema); values are never shown here.',
    );
    this.issues = issues;
    this.unlistedIssues = unlistedIssues;
    this.schema = schema;
    if (scope.project !== undefined) this.project = scope.project;
    if (scope.config !== undefined) this.config = scope.config;
  }
}
