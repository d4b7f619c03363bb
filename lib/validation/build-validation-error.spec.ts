import { describe, expect, it } from 'vitest';
import { buildValidationError, type FoundIssue } from './build-validation-error.js';

const issue = (path: FoundIssue['path'], message: string, constraint = 'rule'): FoundIssue => ({
  path,
  missing: false,
  constraint,
  message,
});

describe('buildValidationError', () => {
  it('prints deeper path segments only when numbers or names that occur in no value', () => {
    const raw = { SETTINGS: '{"tenantAlpha": {"limit": "x"}}', OTHER: 'zz' };
    const error = buildValidationError(
      'S',
      [
        issue(['SETTINGS', 'tenantAlpha', 'limit'], 'must be a number'),
        issue(['SETTINGS', 'port'], 'is required'),
        issue(['SETTINGS', 3, 'x y'], 'bad'),
        issue(['SETTINGS', Symbol('s')], 'odd'),
        issue(['not a name!'], 'bad'),
      ],
      { raw },
      {},
    );
    expect(error.issues.map((i) => i.key)).toEqual([
      'SETTINGS.**********.**********',
      'SETTINGS.port',
      'SETTINGS.3.**********',
      'SETTINGS.**********',
      '(a name with unexpected characters)',
    ]);
  });

  it('merges paths that differ only in masked segments, listing each rule once', () => {
    const raw = { MAP: '{"keyOne": 1, "keyTwo": 2}' };
    const error = buildValidationError(
      'S',
      [issue(['MAP', 'keyOne'], 'must be a string'), issue(['MAP', 'keyTwo'], 'must be a string')],
      { raw },
      {},
    );
    expect(error.issues).toEqual([
      {
        key: 'MAP.**********',
        missing: false,
        constraints: [{ constraint: 'rule', message: 'must be a string' }],
      },
    ]);
  });

  it('cuts a message to 300 characters before masking it, and says so', () => {
    const value = 'secret-9f8e7d6c';
    const message = `${'x'.repeat(290)} ${value} and more text`;
    const error = buildValidationError('S', [issue(['A'], message)], { raw: { A: value } }, {});
    const shown = error.issues[0]?.constraints[0]?.message ?? '';
    expect(shown.endsWith('…')).toBe(true);
    expect(shown).not.toContain('secret-9');
    expect(shown).toContain(`${'x'.repeat(290)} **********…`);
  });

  it('lists 10 rules per key, then how many more', () => {
    const found = Array.from({ length: 14 }, (_, i) => issue(['A'], `rule number ${i}`));
    const error = buildValidationError('S', found, { raw: {} }, {});
    const rules = error.issues[0]?.constraints ?? [];
    expect(rules).toHaveLength(11);
    expect(rules[10]).toEqual({ constraint: 'more', message: 'and 4 more' });
  });

  it('masks a short value standing as a word, and Doppler metadata not at all', () => {
    const raw = { PORT: '42', DOPPLER_PROJECT: 'shop-internal', DOPPLER_CONFIG: 'prd' };
    const error = buildValidationError(
      'S',
      [issue(['PORT'], 'must be at least 1000, got 42 (shop-internal, prd)')],
      { raw },
      {},
    );
    expect(error.issues[0]?.constraints[0]?.message).toBe(
      'must be at least 1000, got ********** (shop-internal, prd)',
    );
  });

  it('masks the text forms of transformed values: a parsed number, an object printed whole', () => {
    const error = buildValidationError(
      'S',
      [issue(['A'], 'got 1024.5 from {"k":"v"}'), issue(['B'], 'constraint name is checked', 'bad name!')],
      { raw: { A: '1.0245e3', B: 'x' }, transformed: [1024.5, { k: 'v' }] },
      {},
    );
    expect(error.issues.map((i) => i.constraints[0])).toEqual([
      { constraint: 'rule', message: 'got ********** from **********' },
      { constraint: 'custom', message: 'constraint name is checked' },
    ]);
  });
});
