/**
 * A schema whose transform throws on the value Doppler serves: a real Nest app boots against the
 * emulator and fails with a SecretsValidationError naming the key, and nothing Nest prints (its
 * bootstrap logs, its exception handler, the error itself rendered every way) holds the value.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transform } from 'class-transformer';
import { Allow, IsString } from 'class-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DopplerModule, SecretsValidationError, type DopplerModuleOptions } from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';
import { OutputCapture } from './support/capture-output.js';

const TOKEN = 'dp.st.dev.validation-failures';
// Each value is a canary: no 4-character piece of it may be printed.
const BAD_URL = 'not a url: CANARY-e2e-URL-1f4a?user=admin';
const BAD_JSON = '{"flags": CANARY-e2e-JSON-77b1, "more": true}';
const CANARY_PIECES = ['CANARY', 'e2e-', '1f4a', '77b1', 'user=admin', 'flags'];

class UrlSecrets {
  @Transform(({ value }: { value: string }) => new URL(value))
  @Allow()
  SERVICE_URL!: URL;

  @IsString()
  NAME!: string;
}

const JsonSecrets = z.object({
  FEATURES: z.string().transform((s) => JSON.parse(s) as unknown),
  NAME: z.string(),
});

const emulator = new DopplerEmulator({
  projects: { shop: { configs: { dev: { secrets: {} } } } },
  tokens: [{ token: TOKEN, project: 'shop', config: 'dev' }],
});
let apiUrl = '';

beforeAll(async () => {
  apiUrl = await emulator.start();
});
afterAll(() => emulator.stop());

type Schema = NonNullable<DopplerModuleOptions['schema']>;

function appModule(schema: Schema): DynamicModule {
  @Module({})
  class App {}
  return { module: App, imports: [DopplerModule.forRoot({ token: TOKEN, apiUrl, schema, retries: 0 })] };
}

/** Boots a real app the way main.ts does, and returns what it threw and everything printed. */
async function bootFailure(schema: Schema): Promise<{ error: unknown; printed: string }> {
  const output = new OutputCapture().start();
  let error: unknown;
  try {
    const app = await NestFactory.create(appModule(schema), {
      abortOnError: false,
      logger: ['log', 'warn', 'error', 'debug', 'verbose'],
    });
    await app.close();
  } catch (thrown) {
    error = thrown;
    output.record(thrown);
  }
  return { error, printed: output.stop() };
}

function expectNothingPrinted(printed: string): void {
  // Nest did print something: its bootstrap logs and the exception handler's report.
  expect(printed).toContain('SecretsValidationError');
  for (const piece of CANARY_PIECES) expect(printed).not.toContain(piece);
}

describe('bootstrap with a schema whose transform throws on the served value', () => {
  it('class-transformer (new URL): rejects with SecretsValidationError naming the key, printing no value', async () => {
    emulator.setSecrets('shop', 'dev', { SERVICE_URL: BAD_URL, NAME: 'shop' });
    const { error, printed } = await bootFailure(UrlSecrets);
    expect(error).toBeInstanceOf(SecretsValidationError);
    expect((error as SecretsValidationError).issues).toEqual([
      {
        key: 'SERVICE_URL',
        missing: false,
        constraints: [{ constraint: 'transform', message: 'its transform threw TypeError' }],
      },
    ]);
    expect((error as Error).message).toContain('project "shop", config "dev" do not match UrlSecrets');
    expectNothingPrinted(printed);
  });

  it('zod (JSON.parse): rejects with SecretsValidationError naming the key, printing no value', async () => {
    emulator.setSecrets('shop', 'dev', { FEATURES: BAD_JSON, NAME: 'shop' });
    const { error, printed } = await bootFailure(JsonSecrets);
    expect(error).toBeInstanceOf(SecretsValidationError);
    expect((error as SecretsValidationError).issues).toEqual([
      {
        key: 'FEATURES',
        missing: false,
        constraints: [{ constraint: 'transform', message: 'a transform or refinement threw SyntaxError' }],
      },
    ]);
    expectNothingPrinted(printed);
  });
});
