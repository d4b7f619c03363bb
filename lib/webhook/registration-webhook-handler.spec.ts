import { describe, expect, it } from 'vitest';
import { RefresherRef } from '../refresh/refresher-ref.js';
import type { SecretsRefresher } from '../refresh/secrets-refresher.js';
import { SecretsService } from '../secrets.service.js';
import { registrationProviders } from '../doppler.providers.js';
import { DopplerWebhookHandler } from './doppler-webhook.handler.js';
import { RegistrationWebhookHandler } from './registration-webhook-handler.js';

function setup() {
  const calls: string[] = [];
  const refresher = {
    start: () => calls.push('start'),
    stop: () => {
      calls.push('stop');
      return Promise.resolve();
    },
  } as unknown as SecretsRefresher;
  const service = new SecretsService<object>({}, { source: 'doppler-api', fetchedAt: new Date() });
  let completed = false;
  service.changes.subscribe({ complete: () => (completed = true) });
  const handler = new RegistrationWebhookHandler(new RefresherRef(undefined, service, { refresher }));
  return { handler, calls, completed: () => completed };
}

describe('RegistrationWebhookHandler', () => {
  it('is the DopplerWebhookHandler apps inject', () => {
    const { handler } = setup();
    expect(handler).toBeInstanceOf(DopplerWebhookHandler);
    expect(handler.handle(Buffer.from('{}'), undefined)).toEqual({ status: 'disabled' });
  });

  it("passes Nest's lifecycle hooks on to the registration: refreshing starts once the app is up, the service closes when it goes down", async () => {
    const { handler, calls, completed } = setup();
    handler.onApplicationBootstrap();
    expect(calls).toEqual(['start']);
    expect(completed()).toBe(false);
    await handler.onModuleDestroy();
    await handler.onApplicationShutdown();
    expect(completed()).toBe(true);
  });
});

describe('registrationProviders', () => {
  it('gives a registration three providers: its pipeline deps, its service and its webhook handler (which carries the lifecycle)', () => {
    const { providers, exports } = registrationProviders(undefined, undefined);
    expect(providers.map((p) => (typeof p === 'function' ? p : p.provide))).toEqual([
      'DOPPLER:PIPELINE_DEPS',
      SecretsService,
      DopplerWebhookHandler,
    ]);
    expect(exports).toEqual([SecretsService, DopplerWebhookHandler]);
  });
});
