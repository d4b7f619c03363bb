import { SECRET_MASK } from '../secret.js';
import { createMasker } from './pattern-matcher.js';
import { textForms } from './text-forms.js';

/**
 * The shortest secret value that {@link SecretsService.redact} and `DopplerLogger` mask.
 * Shorter values are left alone: a secret `on`, `42` or `dev` would turn every occurrence
 * of those letters in ordinary text into masks, shredding the log while protecting almost
 * nothing (a value that short is guessed faster than it is read).
 *
 * @default 4
 * @example
 * secrets.redact('pin 123, key abcd'); // with secrets 123 and abcd: 'pin 123, key **********'
 */
export const REDACT_MIN_LENGTH = 4;

/** Replaces secret values in a text with {@link SECRET_MASK}. */
export type Redactor = (text: string) => string;

/**
 * Builds the redactor of one set of secret values: every text form of each value (see
 * {@link textForms}) at least `minLength` long is replaced with the mask wherever it
 * occurs, of any length, in one pass over the text (linear time; see `createMasker`).
 *
 * A form is found written plain, escaped inside `JSON.stringify` or `util.inspect` output,
 * and encoded twice (Nest's JSON mode embeds the inspection of a Map, a Set or an Error as
 * a JSON string); and where `util.inspect` cut a long string at `maxStringLength`, the
 * beginning it kept is masked as soon as it holds `minLength` characters of a form.
 * Overlapping forms are masked as one stretch, so nothing of either shows.
 *
 * Never throws. If the values cannot be read or compiled, every non-empty text comes back
 * as the mask alone; a text with no secret in it comes back as the same string.
 *
 * @param values the secret values, as revealed.
 * @param minLength the shortest form masked.
 * @default minLength = {@link REDACT_MIN_LENGTH} (4)
 * @example
 * const redact = createRedactor(['s3cr3t-value']);
 * redact('token=s3cr3t-value'); // 'token=**********'
 */
export function createRedactor(values: Iterable<unknown>, minLength = REDACT_MIN_LENGTH): Redactor {
  const forms = new Set<string>();
  try {
    for (const value of values) {
      for (const form of textForms(value)) if (form.length >= minLength) forms.add(form);
    }
  } catch {
    // The values could not all be read (a throwing iterator): nothing can be known safe.
    return (text) => (text === '' ? text : SECRET_MASK);
  }
  return createMasker(forms, { cutMinLength: Math.max(1, minLength) });
}
