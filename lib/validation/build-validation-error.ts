import { FragmentMasker } from '../redaction/fragment-masker.js';
import { SECRET_MASK } from '../secret.js';
import { isPrintableName } from '../core/flat-string-map.js';
import { secretTextForms, wholeSecretValues } from './secret-text-forms.js';
import {
  SecretsValidationError,
  type SecretConstraintIssue,
  type SecretIssue,
} from '../errors/secrets-validation.error.js';
import type { DopplerScope } from '../core/scope.js';

/** One step of a key path as a validator reports it: a property name or an array index. */
export type PathSegment = string | number | symbol;

/** One failure as an adapter found it, before anything is masked or cut. */
export interface FoundIssue {
  /** Where: the secret's name, then the path inside a value the schema parsed. Empty: the whole set. */
  readonly path: readonly PathSegment[];
  /** True when Doppler did not send the key. */
  readonly missing: boolean;
  readonly constraint: string;
  /** The validator's message as it wrote it (it may quote the value: masked later). */
  readonly message: string;
}

/** What the masking can see of the secrets. */
export interface SecretsSeen {
  /** The values as Doppler sent them. */
  readonly raw: Readonly<Record<string, string>>;
  /** What the schema made of them, when the adapter has it (class-transformer's output). */
  readonly transformed?: readonly unknown[];
}

/** Keys listed in one error; the rest are counted. */
export const MAX_LISTED_ISSUES = 100;
/** Rules listed for one key; the rest are counted. */
export const MAX_RULES_PER_ISSUE = 10;
/** A message is cut to this many characters before it is scanned, so scanning stays cheap. */
export const MAX_MESSAGE_LENGTH = 300;
const MAX_PATH_DEPTH = 8;
const CONSTRAINT_SHAPE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const UNPRINTABLE_NAME = '(a name with unexpected characters)';

interface Group {
  readonly path: readonly PathSegment[];
  readonly missing: boolean;
  readonly rules: { constraint: string; message: string; cut: boolean }[];
  readonly seen: Set<string>;
  more: number;
}

/**
 * Turns what a validator reported into a {@link SecretsValidationError} that holds no value:
 * keys listed up to {@link MAX_LISTED_ISSUES}, rules up to {@link MAX_RULES_PER_ISSUE} per key,
 * messages cut to {@link MAX_MESSAGE_LENGTH} characters, then every run of 4 or more (printed)
 * characters a message or a path segment shares with a secret's text forms masked, and every
 * whole value standing as a word masked. Path segments below the secret's name are printed
 * only when numbers, or names that occur in no value.
 */
export function buildValidationError(
  schemaName: string,
  found: Iterable<FoundIssue>,
  seen: SecretsSeen,
  scope: DopplerScope,
): SecretsValidationError {
  const { groups, unlisted } = groupIssues(found);
  const messages = groups.flatMap((g) => g.rules.map((r) => r.message));
  const segments = groups.flatMap((g) => g.path.slice(1, MAX_PATH_DEPTH).filter(isSegmentCandidate));
  const masker = new FragmentMasker([...messages, ...segments]);
  for (const value of wholeSecretValues(seen.raw, seen.transformed)) masker.wholeWord(value);
  for (const text of secretTextForms(seen.raw, seen.transformed)) masker.scan(text);
  const { texts, occursWhole } = masker.result();

  let nextMessage = 0;
  let nextSegment = messages.length;
  const segmentText = (segment: PathSegment): string => {
    if (typeof segment === 'number') return String(segment);
    if (!isSegmentCandidate(segment)) return SECRET_MASK;
    const i = nextSegment++;
    return occursWhole[i] !== true && texts[i] === segment ? segment : SECRET_MASK;
  };
  const byKey = new Map<string, { missing: boolean; rules: SecretConstraintIssue[]; more: number }>();
  for (const group of groups) {
    const key = renderPath(group.path, segmentText);
    const rules = group.rules.map((rule) => ({
      constraint: rule.constraint,
      message: `${texts[nextMessage++] ?? SECRET_MASK}${rule.cut ? '…' : ''}`,
    }));
    const entry = byKey.get(key);
    if (entry === undefined) {
      byKey.set(key, { missing: group.missing, rules, more: group.more });
    } else {
      // Paths that differ only in masked segments become one key.
      entry.missing &&= group.missing;
      entry.rules.push(...rules);
      entry.more += group.more;
    }
  }
  const issues: SecretIssue[] = [...byKey].map(([key, entry]) => ({
    key,
    missing: entry.missing,
    constraints: listRules(entry.rules, entry.more),
  }));
  return new SecretsValidationError(schemaName, issues, scope, unlisted);
}

function groupIssues(found: Iterable<FoundIssue>): { groups: Group[]; unlisted: number } {
  const groups = new Map<string, Group>();
  const unlistedPaths = new Set<string>();
  for (const issue of found) {
    const id = pathId(issue.path);
    let group = groups.get(id);
    if (group === undefined) {
      if (groups.size >= MAX_LISTED_ISSUES) {
        unlistedPaths.add(id);
        continue;
      }
      group = { path: issue.path, missing: issue.missing, rules: [], seen: new Set(), more: 0 };
      groups.set(id, group);
    }
    const constraint = CONSTRAINT_SHAPE.test(issue.constraint) ? issue.constraint : 'custom';
    const { text, cut } = cutMessage(issue.message);
    const ruleId = `${constraint}\u0000${text}`;
    if (group.seen.has(ruleId)) continue;
    group.seen.add(ruleId);
    if (group.rules.length >= MAX_RULES_PER_ISSUE) group.more++;
    else group.rules.push({ constraint, message: text, cut });
  }
  return { groups: [...groups.values()], unlisted: unlistedPaths.size };
}

/** Identity of a path for grouping: segment kinds are kept apart (`1` is not `"1"`). */
function pathId(path: readonly PathSegment[]): string {
  return path
    .map((s) => (typeof s === 'number' ? `#${s}` : typeof s === 'string' ? `.${s}` : '?'))
    .join('\u0000');
}

function cutMessage(message: string): { text: string; cut: boolean } {
  if (message.length <= MAX_MESSAGE_LENGTH) return { text: message, cut: false };
  let end = MAX_MESSAGE_LENGTH;
  const last = message.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // do not leave half a surrogate pair
  return { text: message.slice(0, end), cut: true };
}

/** A deeper segment worth checking against the values: a string with the shape of a name. */
function isSegmentCandidate(segment: PathSegment): segment is string {
  return typeof segment === 'string' && isPrintableName(segment);
}

function renderPath(path: readonly PathSegment[], segmentText: (s: PathSegment) => string): string {
  if (path.length === 0) return '(all)';
  const [top, ...rest] = path;
  const head =
    typeof top === 'string' && isPrintableName(top)
      ? top
      : typeof top === 'number'
        ? String(top)
        : UNPRINTABLE_NAME;
  const deeper = rest.slice(0, MAX_PATH_DEPTH - 1).map(segmentText);
  if (rest.length > MAX_PATH_DEPTH - 1) deeper.push('…');
  return [head, ...deeper].join('.');
}

function listRules(rules: readonly SecretConstraintIssue[], more: number): SecretConstraintIssue[] {
  const unique = new Map<string, SecretConstraintIssue>();
  for (const rule of rules) unique.set(`${rule.constraint}\u0000${rule.message}`, rule);
  const listed = [...unique.values()];
  const extra = more + Math.max(0, listed.length - MAX_RULES_PER_ISSUE);
  const kept = listed.slice(0, MAX_RULES_PER_ISSUE);
  return extra > 0 ? [...kept, { constraint: 'more', message: `and ${extra} more` }] : kept;
}
