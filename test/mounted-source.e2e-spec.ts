import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MinLength } from 'class-validator';
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DopplerError,
  DopplerModule,
  loadDopplerSecrets,
  SecretsService,
  SecretsValidationError,
  type DopplerModuleOptions,
} from 'nestjs-doppler';
import { DopplerHealthIndicator } from 'nestjs-doppler/health';
import { renderSecrets } from '../lib/testing/emulator-secrets-format.js';
import { OutputCapture } from './support/capture-output.js';
import { compileForNode } from './support/compile-for-node.js';
import { KubeletVolume, type VolumeFiles } from './support/kubelet-volume.js';

// Every value in this file is a canary: none may appear in anything printed or thrown.
const CANARY = 'CANARY-MOUNT';
const SCOPE = { DOPPLER_PROJECT: 'shop', DOPPLER_CONFIG: 'prd', DOPPLER_ENVIRONMENT: 'production' };
const V1 = { ...SCOPE, API_KEY: `${CANARY}-KEY-v1-4be0`, POOL: '5' };
const V2 = { ...SCOPE, API_KEY: `${CANARY}-KEY-v2-77a1`, POOL: '5' };

class Secrets {
  @IsString()
  @MinLength(12)
  API_KEY!: string;

  @Type(() => Number)
  @IsInt()
  POOL!: number;

  @IsOptional()
  @IsString()
  FEATURE?: string;
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly doppler: DopplerHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.doppler.isHealthy('doppler', { maxAgeMs: 60_000 })]);
  }
}

const output = new OutputCapture();
let volume: KubeletVolume;
let app: INestApplication | undefined;

beforeAll(() => {
  output.start();
});
afterAll(() => {
  // Everything printed by every test: Nest's log lines, the warnings, errors and answers recorded.
  expect(output.stop()).not.toContain(CANARY);
});
beforeEach(async () => {
  volume = await KubeletVolume.create('mounted-e2e-');
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await volume.remove();
});

async function boot(files: VolumeFiles): Promise<SecretsService<Secrets>> {
  await volume.write(files);
  // Only the watch can bring a change within the test: the poll is an hour away.
  const options: DopplerModuleOptions = {
    mounted: { path: volume.path, pollInterval: 3_600_000 },
    schema: Secrets,
  };
  @Module({
    imports: [
      DopplerModule.forRoot({ ...options, isGlobal: true }),
      TerminusModule.forRoot({ logger: false }),
    ],
    controllers: [HealthController],
    providers: [DopplerHealthIndicator],
  })
  class AppModule {}
  app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'], abortOnError: false });
  await app.init();
  return app.get<SecretsService<Secrets>>(SecretsService);
}

async function bootFailure(files: VolumeFiles): Promise<unknown> {
  const error = await boot(files).then(
    () => undefined,
    (e: unknown) => e,
  );
  output.record(error);
  return error;
}

describe("DopplerModule.forRoot({ mounted }): the operator's Secret volume, hot-reloaded", () => {
  it('boots from the volume, sees the kubelet swap through the watch, and serves the new value', async () => {
    const secrets = await boot(V1);
    expect(secrets.metadata).toMatchObject({
      source: 'mounted',
      project: 'shop',
      config: 'prd',
      environment: 'production',
      etag: volume.version,
    });
    expect(secrets.get('POOL').reveal()).toBe(5);
    expect(output.text).toContain('Loaded 2 secrets from the volume mounted at');
    const changed = firstValueFrom(secrets.changes);

    const v2 = await volume.write({ ...V2, FEATURE: 'on' });
    expect(await changed).toMatchObject({ changed: ['API_KEY'], added: ['FEATURE'], version: 2, etag: v2 });
    expect(secrets.get('API_KEY').reveal()).toBe(V2.API_KEY);
    expect(secrets.snapshot().get('FEATURE').reveal()).toBe('on');
    expect(secrets.status).toMatchObject({ version: 2, stale: false, consecutiveFailures: 0, etag: v2 });
    output.record(inspect(secrets, { depth: 10 }));
    output.record(JSON.stringify(secrets));
  });

  it('an invalid new set keeps the old one, status and health record the failure, and nothing is announced', async () => {
    const secrets = await boot(V1);
    let announced = 0;
    secrets.changes.subscribe(() => announced++);
    const server = app?.getHttpServer();
    const healthy = await request(server).get('/health').expect(200);
    expect(healthy.body.details.doppler).toMatchObject({ status: 'up', source: 'mounted', stale: false });

    await volume.write({ ...V2, POOL: `${CANARY}-not-a-number` });
    // One cycle now; one the watch started meanwhile is shared, not doubled.
    expect(await secrets.refresh()).toEqual({ kind: 'failed', code: 'DOPPLER_SECRETS_INVALID' });
    expect(secrets.get('API_KEY').reveal()).toBe(V1.API_KEY);
    expect(secrets.status).toMatchObject({
      version: 1,
      stale: true,
      lastFailureCode: 'DOPPLER_SECRETS_INVALID',
    });
    expect(announced).toBe(0);
    const stale = await request(server).get('/health').expect(200);
    expect(stale.body.details.doppler).toMatchObject({
      status: 'up',
      stale: true,
      lastFailureCode: 'DOPPLER_SECRETS_INVALID',
    });
    output.record(stale.text);

    await volume.write(V2);
    expect(await secrets.refresh()).toMatchObject({ kind: expect.stringMatching(/^(changed|unchanged)$/) });
    expect(secrets.get('API_KEY').reveal()).toBe(V2.API_KEY);
    expect(secrets.status).toMatchObject({ version: 2, stale: false });
  });

  it('DOPPLER_SECRETS_FILE (a DopplerSecret with a format): json, then env after the format changed', async () => {
    const secrets = await boot({ DOPPLER_SECRETS_FILE: JSON.stringify(V1) });
    expect(secrets.get('API_KEY').reveal()).toBe(V1.API_KEY);
    expect(secrets.metadata).toMatchObject({ source: 'mounted', project: 'shop', config: 'prd' });
    const changed = firstValueFrom(secrets.changes);
    await volume.write({ DOPPLER_SECRETS_FILE: renderSecrets(Object.entries({ ...V2, POOL: '6' }), 'env') });
    expect(await changed).toMatchObject({ changed: ['API_KEY', 'POOL'], version: 2 });
    expect(secrets.get('POOL').reveal()).toBe(6);
  });

  it('a set for another config swapped in is refused whole: another environment is never served', async () => {
    const secrets = await boot(V1);
    await volume.write({ ...V2, DOPPLER_CONFIG: 'dev' });
    expect(await secrets.refresh()).toEqual({ kind: 'failed', code: 'DOPPLER_SCOPE_MISMATCH' });
    expect(secrets.get('API_KEY').reveal()).toBe(V1.API_KEY);
  });

  it('bootstrap fails with typed errors that name the problem and show no value', async () => {
    const invalid = await bootFailure({ ...V1, POOL: `${CANARY}-nan` });
    expect(invalid).toBeInstanceOf(SecretsValidationError);
    expect((invalid as Error).message).toMatch(/project "shop", config "prd".*POOL/);

    await volume.remove();
    volume = await KubeletVolume.create('mounted-e2e-');
    const binary = await bootFailure({
      ...V1,
      CERT: Buffer.concat([Buffer.from(`${CANARY}-binary`), Buffer.from([0xff, 0xfe])]),
    });
    expect(binary).toBeInstanceOf(DopplerError);
    expect(binary).toMatchObject({ code: 'DOPPLER_MALFORMED_RESPONSE', reason: 'MOUNT_NOT_UTF8' });
    expect((binary as Error).message).toMatch(/"CERT" in .* is not UTF-8/);

    await volume.remove();
    volume = await KubeletVolume.create('mounted-e2e-');
    const env = await bootFailure({ DOPPLER_SECRETS_FILE: `API_KEY=${CANARY}-env #x\n` });
    expect(env).toMatchObject({ code: 'DOPPLER_MALFORMED_RESPONSE', reason: 'MOUNT_BAD_ENV' });
    expect((env as Error).message).toMatch(/DOPPLER_SECRETS_FILE in .*, line 1: .* \(for "API_KEY"\)/);
  });
});

describe('loadDopplerSecrets({ mounted }): outside Nest', () => {
  it('reads a plain directory, refreshes on demand, and close() stops watching', async () => {
    const dir = join(volume.path, '..', 'plain');
    await mkdir(dir);
    await writeFile(join(dir, 'API_KEY'), `${V1.API_KEY}\n`);
    await writeFile(join(dir, 'POOL'), '5');
    const secrets = await loadDopplerSecrets<Secrets>({ mounted: { path: dir }, schema: Secrets });
    // The file's bytes are the value: the trailing newline a Docker secret often has is kept.
    expect(secrets.get('API_KEY').reveal()).toBe(`${V1.API_KEY}\n`);
    expect(secrets.metadata.etag).toMatch(/^digest:/);
    expect(await secrets.refresh()).toEqual({ kind: 'unchanged' });
    await writeFile(join(dir, 'POOL'), '9');
    expect(await secrets.refresh()).toMatchObject({ kind: 'changed', change: { changed: ['POOL'] } });
    await secrets.close();
    expect(await secrets.refresh()).toEqual({ kind: 'stopped' });
  });

  it('a process with the watch and the poll running exits by itself: neither holds it open', async () => {
    await volume.write(V1);
    const dir = await compileForNode(['lib/load-doppler-secrets.ts']);
    try {
      // The child waits (on timers of its own) until the poll has confirmed the set once, so the
      // watch and the poll are running when its own work ends; then nothing may keep it alive.
      const script = `
        import { loadDopplerSecrets } from './lib/load-doppler-secrets.js';
        const secrets = await loadDopplerSecrets({ mounted: { path: process.argv[1], pollInterval: 100 } });
        const booted = secrets.status.lastSuccessAt.getTime();
        while (secrets.status.lastSuccessAt.getTime() === booted) await new Promise((r) => setTimeout(r, 20));
        console.log('loaded ' + secrets.keys().length + ' from ' + secrets.metadata.source + ', polled');
      `;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--input-type=module', '--eval', script, volume.path],
        { cwd: dir, timeout: 60_000 },
      );
      expect(stdout).toContain('loaded 5 from mounted, polled');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
