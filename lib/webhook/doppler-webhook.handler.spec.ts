import type { Logger } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import type { RefreshResult } from '../refresh/refresh-result.js';
import { RefresherRef } from '../refresh/refresher-ref.js';
import type { SecretsRefresher } from '../refresh/secrets-refresher.js';
import { SecretsService } from '../secrets.service.js';
import { DopplerWebhookHandler } from './doppler-webhook.handler.js';
import { signDopplerWebhook } from './verify-signature.js';

const SECRET = 'webhook-signing-secret-0123456789';
const UPDATE = Buffer.from(JSON.stringify({ type: 'config.secrets.update', config: { name: 'dev' } }));

class RecordingLogger {
  readonly warnings: string[] = [];
  warn(message: string): void {
    this.warnings.push(message);
  }
}

/** A handler over a stand-in refresher that counts the refreshes asked for. */
function setup(webhook: { secret: string } | 'no webhook option' = { secret: SECRET }) {
  const clock = new FakeClock();
  const logger = new RecordingLogger();
  let refreshes = 0;
  const refresher = {
    webhook: webhook === 'no webhook option' ? undefined : webhook,
    onWebhook: (): Promise<RefreshResult> => {
      refreshes++;
      return Promise.resolve({ kind: 'unchanged' });
    },
  } as unknown as SecretsRefresher;
  const service = new SecretsService<object>({}, { source: 'doppler-api', fetchedAt: new Date() });
  const ref = new RefresherRef(undefined, service, {
    refresher,
    deps: { clock, logger: logger as unknown as Logger },
  });
  const handler = new DopplerWebhookHandler(ref);
  return { handler, clock, logger, refreshes: () => refreshes };
}

describe('DopplerWebhookHandler', () => {
  it('accepts a delivery signed with the secret over the raw body, and asks for one refresh', async () => {
    const { handler, refreshes } = setup();
    const verdict = handler.handle(UPDATE, signDopplerWebhook(UPDATE, SECRET));
    expect(verdict.status).toBe('accepted');
    if (verdict.status === 'accepted') expect(await verdict.refresh).toEqual({ kind: 'unchanged' });
    expect(refreshes()).toBe(1);
  });

  it.each([
    ['no signature', UPDATE, undefined],
    ['another secret', UPDATE, signDopplerWebhook(UPDATE, 'another-secret-0123456789')],
    ['another body', Buffer.from(`${UPDATE.toString()} `), signDopplerWebhook(UPDATE, SECRET)],
    ['a malformed header', UPDATE, 'sha256=zz'],
    ['no body', undefined, signDopplerWebhook(UPDATE, SECRET)],
  ])('refuses %s, and asks for nothing', (_name, body, signature) => {
    const { handler, refreshes } = setup();
    expect(handler.handle(body, signature)).toEqual({ status: 'unauthorized' });
    expect(refreshes()).toBe(0);
  });

  it('is disabled without the webhook option, or with nothing loaded (a test double of the service)', () => {
    const withoutOption = setup('no webhook option');
    expect(withoutOption.handler.handle(UPDATE, signDopplerWebhook(UPDATE, SECRET))).toEqual({
      status: 'disabled',
    });
    const empty = new DopplerWebhookHandler(new RefresherRef());
    expect(empty.handle(UPDATE, signDopplerWebhook(UPDATE, SECRET))).toEqual({ status: 'disabled' });
    expect(withoutOption.logger.warnings).toEqual([]);
  });

  it('ignores signed events other than a secrets change; a body without a type, or not JSON, is taken as one', () => {
    const { handler, refreshes } = setup();
    const other = Buffer.from(JSON.stringify({ type: 'project.created' }));
    expect(handler.handle(other, signDopplerWebhook(other, SECRET))).toEqual({ status: 'ignored' });
    expect(refreshes()).toBe(0);
    for (const body of [Buffer.from('{"config":{}}'), Buffer.from('not json'), Buffer.from('null')]) {
      expect(handler.handle(body, signDopplerWebhook(body, SECRET)).status).toBe('accepted');
    }
    expect(refreshes()).toBe(3);
  });

  it('warns about refused deliveries at most once a minute, then with the count since the last warning', async () => {
    const { handler, clock, logger } = setup();
    const refuse = (times: number) => {
      for (let i = 0; i < times; i++) expect(handler.handle(UPDATE, undefined).status).toBe('unauthorized');
    };
    refuse(1_000);
    expect(logger.warnings).toEqual([
      'Refused a Doppler webhook with a missing or wrong X-Doppler-Signature.',
    ]);
    await clock.advance(59_999);
    refuse(1);
    expect(logger.warnings).toHaveLength(1);
    await clock.advance(1);
    refuse(1);
    expect(logger.warnings).toEqual([
      'Refused a Doppler webhook with a missing or wrong X-Doppler-Signature.',
      'Refused 1001 Doppler webhooks with a missing or wrong X-Doppler-Signature in the last minute.',
    ]);
    // A quiet minute later, a single refusal is one again.
    await clock.advance(60_000);
    refuse(1);
    expect(logger.warnings[2]).toBe('Refused a Doppler webhook with a missing or wrong X-Doppler-Signature.');
  });
});
