import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { IsOptional, IsString, MinLength } from 'class-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DopplerError, DopplerModule, SecretsService } from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { everythingShown } from './support/everything-shown.js';

const TOKEN = 'dp.st.dev.property-token';
const MARK = 'CNRY';

class Secrets {
  @IsString()
  @MinLength(12, { message: 'API_KEY too short: $value' })
  API_KEY!: string;

  @IsOptional()
  @IsString()
  OPTIONAL?: string;
}

const emulator = new DopplerEmulator({
  projects: { p: { configs: { dev: { secrets: {} } } } },
  tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
});
let apiUrl = '';
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  apiUrl = await emulator.start();
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await emulator.stop();
});

const value = fc.string({ maxLength: 30 }).map((s) => `${MARK}${s}`);
const body = fc.oneof(
  fc
    .dictionary(fc.constantFrom('API_KEY', 'OPTIONAL', 'OTHER', '__proto__'), value)
    .map((o) => JSON.stringify(o)),
  fc
    .dictionary(fc.constantFrom('API_KEY', 'OPTIONAL'), fc.oneof(value, fc.integer(), fc.constant(null)))
    .map((o) => JSON.stringify(o)),
  fc.dictionary(fc.constantFrom('API_KEY'), value).map((o) => JSON.stringify(o).slice(0, -2)),
  fc.json(),
);
const status = fc.constantFrom(200, 200, 200, 500, 503, 429, 401);

describe('bootstrap over real HTTP, property-based', () => {
  it('any answer yields a valid service or a typed error without values, and no unhandled rejection', async () => {
    await fc.assert(
      fc.asyncProperty(body, status, async (text, code) => {
        emulator.injectFaults({
          kind: 'raw',
          status: code,
          headers: { 'content-type': 'application/json' },
          body: text,
        });
        const outcome = await Test.createTestingModule({
          imports: [
            DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: Secrets, retries: 0, timeout: 2000 }),
          ],
        })
          .compile()
          .then(
            async (moduleRef) => {
              const secrets = moduleRef.get<SecretsService<Secrets>>(SecretsService);
              await moduleRef.close();
              return secrets;
            },
            (error: unknown) => error,
          );
        if (outcome instanceof SecretsService) {
          expect(code).toBe(200);
          expect(outcome.get('API_KEY').reveal().length).toBeGreaterThanOrEqual(12);
          return;
        }
        expect(outcome).toBeInstanceOf(DopplerError);
        const e = outcome as DopplerError;
        const printed = everythingShown(e);
        // One assertion: the generated values that show.
        expect((text.match(/CNRY[^"\\]+/g) ?? []).filter((value) => printed.includes(value))).toEqual([]);
      }),
      // 4 body shapes x 7 statuses: 100 boots meet each pair about 3 times. What a body can hold
      // is searched far wider, without Nest, by lib/validation/fetch-validate.property.spec.ts.
      { numRuns: 100 },
    );
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
  });
});
