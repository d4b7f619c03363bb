import { describe, expect, it } from 'vitest';
import { DOPPLER_MESSAGES, dopplerErrorBody } from '../testing/emulator-errors.js';
import { describeHttpFailure, isDopplerErrorBody, type FailureContext } from './describe-failure.js';
import { describeTransportFailure } from './describe-transport-failure.js';
import { printable } from './server-text.js';

const ctx: FailureContext = {
  host: 'api.doppler.com',
  tokenKind: 'service',
  route: { kind: 'direct', why: 'none-set' },
  scrub: (text) => text,
};

describe("Doppler's error shape", () => {
  it.each(Object.values(DOPPLER_MESSAGES))("the emulator's %j body is Doppler's shape", (message) => {
    expect(isDopplerErrorBody(dopplerErrorBody(message))).toBe(true);
  });

  it.each([
    ['{"messages":[],"success":false}', true],
    ['{"messages":["a"],"success":true}', false],
    ['{"messages":"a","success":false}', false],
    ['{"messages":[1],"success":false}', false],
    ['{"success":false}', false],
    ['[{"messages":["a"],"success":false}]', false],
    ['<html>404</html>', false],
    ['', false],
  ])('%j -> %s', (body, expected) => {
    expect(isDopplerErrorBody(body)).toBe(expected);
  });

  it.each([400, 401, 403, 404])('%i in another shape is an unexpected status, not final', (status) => {
    const e = describeHttpFailure({ status, body: '<html>no</html>' }, ctx);
    expect(e.code).toBe('DOPPLER_UNEXPECTED_STATUS');
    expect(e.retryable).toBe(false);
  });
});

describe('printable', () => {
  it('replaces control characters, C1 controls and direction overrides, and cuts long text', () => {
    expect(printable('a\r\nb\u001b[2Jc\u0085d\u202ee\u2066f')).toBe('a  b [2Jc d e f');
    expect(printable('x'.repeat(500))).toHaveLength(200);
  });
});

describe('timeout messages name the setting that ran out', () => {
  it('the timeout option, not the time left of the deadline', () => {
    const e = describeTransportFailure(
      { timedOut: true, progress: 'none' },
      { ms: 5000, timeout: 5000, deadline: 15_000, limitedBy: 'timeout' },
      ctx,
    );
    expect(e.message).toContain('did not answer within 5000 ms (timeout option)');
  });

  it('the deadline, when what was left of it was shorter than the timeout', () => {
    const e = describeTransportFailure(
      { timedOut: true, progress: 'none' },
      { ms: 4840, timeout: 5000, deadline: 15_000, limitedBy: 'deadline' },
      ctx,
    );
    expect(e.message).toContain('did not answer before the 15000 ms start-up deadline ran out');
    expect(e.message).not.toContain('within 4840 ms');
  });
});
