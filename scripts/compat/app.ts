// A consumer of the packed nestjs-doppler, compiled twice by scripts/compat-check.sh: as an ES
// module for the Nest 12 app ("type": "module"), which loads the package's ES module entry
// points, and as CommonJS for the Nest 11 app, where every import of nestjs-doppler becomes
// require() of its CommonJS build. It imports only what the installed package exports, boots a
// Nest application context against the bundled emulator and exits non-zero if any check fails.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Injectable, Module, type Type as ClassType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Type } from 'class-transformer';
import { IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { DopplerModule, SECRET_MASK, Secret, SecretsService } from 'nestjs-doppler';
import { DopplerEmulator } from 'nestjs-doppler/testing';

const API_KEY = 'compat-canary-7f3a9c2e51d84b60';
const TOKEN = 'dp.st.prd.compat-check-0123456789';

class CompatSecrets {
  @IsString()
  @MinLength(16)
  API_KEY!: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT!: number;
}

/** Injected by class: proves the library's SecretsService is the one token Nest knows. */
@Injectable()
class PaymentsClient {
  constructor(readonly secrets: SecretsService<CompatSecrets>) {}
}

function appModule(apiUrl: string): ClassType {
  @Module({
    imports: [DopplerModule.forRoot({ token: TOKEN, apiUrl, schema: CompatSecrets })],
    providers: [PaymentsClient],
  })
  class AppModule {}
  return AppModule;
}

const failures: string[] = [];
function check(what: string, ok: boolean, detail = ''): void {
  if (!ok) failures.push(detail ? `${what} (${detail})` : what);
}

/** `require` exists only when this file was compiled to CommonJS. */
const format = typeof require === 'function' ? 'commonjs' : 'esm';

interface Manifest {
  version: string;
  exports?: Record<string, unknown>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function installed(name: string): Manifest {
  return JSON.parse(
    readFileSync(join(process.cwd(), 'node_modules', name, 'package.json'), 'utf8'),
  ) as Manifest;
}

/**
 * Loads every subpath the package exports, the way this app's module format does: require()
 * in the CommonJS app, import() in the ESM app.
 */
async function loadEveryExport(): Promise<string[]> {
  const manifest = installed('nestjs-doppler');
  const loaded: string[] = [];
  for (const subpath of Object.keys(manifest.exports ?? {})) {
    if (subpath === './package.json') continue;
    const specifier = `nestjs-doppler${subpath.slice(1)}`;
    try {
      // The point of the CommonJS app: require() reaches the CommonJS build of each subpath.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      if (format === 'commonjs') require(specifier);
      else await import(specifier);
      loaded.push(specifier);
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      const missing = /Cannot find (?:package|module) '((?:@[^/']+\/)?[^/']+)/.exec(message)?.[1];
      const optional = missing !== undefined && manifest.peerDependenciesMeta?.[missing]?.optional === true;
      const hint = optional ? `; ${missing} is an optional peer: install it in scripts/compat-check.sh` : '';
      const how = format === 'commonjs' ? 'require()' : 'import()';
      check(`load ${specifier} with ${how}`, false, `${code}: ${message}${hint}`);
    }
  }
  return loaded;
}

async function main(): Promise<void> {
  const emulator = new DopplerEmulator({
    projects: { compat: { configs: { prd: { secrets: { API_KEY, PORT: '8080' } } } } },
    tokens: [{ token: TOKEN, project: 'compat', config: 'prd' }],
  });
  const apiUrl = await emulator.start();
  try {
    const app = await NestFactory.createApplicationContext(appModule(apiUrl), { logger: ['error'] });
    try {
      const secrets = app.get(PaymentsClient).secrets;
      check('SecretsService injected by class', secrets instanceof SecretsService);
      check('one SecretsService instance', app.get(SecretsService) === secrets);
      check('fetched from the emulator', emulator.requestCount >= 1, `requests: ${emulator.requestCount}`);

      const key = secrets.get('API_KEY');
      const port = secrets.get('PORT');
      check('get() returns a Secret', key instanceof Secret);
      check('reveal() returns the seeded value', key.reveal() === API_KEY);
      check('schema transformed PORT to a number', port.reveal() === 8080, inspect(typeof port.reveal()));

      const masked = `Secret(${SECRET_MASK})`;
      const shown: [string, string, string][] = [
        ['String(secret)', String(key), SECRET_MASK],
        // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- what a careless log line does
        ['template literal', `${key}`, SECRET_MASK],
        ['JSON.stringify(secret)', JSON.stringify(key), JSON.stringify(SECRET_MASK)],
        ['JSON.stringify({ secret })', JSON.stringify({ key }), JSON.stringify({ key: SECRET_MASK })],
        ['util.inspect(secret)', inspect(key), masked],
        ['util.inspect(secret, { showHidden })', inspect(key, { showHidden: true }), masked],
      ];
      for (const [what, text, expected] of shown) check(what, text === expected, `got ${text}`);
      for (const [what, text] of [
        ['util.inspect(service)', inspect(secrets, { depth: 10, showHidden: true })],
        ['JSON.stringify(service)', JSON.stringify(secrets) ?? ''],
      ] as const) {
        check(`${what} hides the value`, !text.includes(API_KEY));
        check(`${what} shows the mask`, text.includes(SECRET_MASK));
      }

      const loaded = await loadEveryExport();
      if (failures.length === 0) {
        const versions = ['@nestjs/common', '@nestjs/core'].map(
          (name) => `${name} ${installed(name).version}`,
        );
        process.stdout.write(
          `compat ok: ${format} app, ${versions.join(', ')}, node ${process.version}; loaded ${loaded.join(', ')}\n`,
        );
      }
    } finally {
      await app.close();
    }
  } finally {
    await emulator.stop();
  }
}

main().then(
  () => {
    if (failures.length > 0) {
      console.error(`compat FAILED (${format} app):\n  - ${failures.join('\n  - ')}`);
      process.exitCode = 1;
    }
  },
  (error: unknown) => {
    console.error(
      `compat FAILED (${format} app): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exitCode = 1;
  },
);
