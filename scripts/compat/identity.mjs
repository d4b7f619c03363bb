// One app, both ways in: `import` and `require()` of nestjs-doppler (and of each subpath) in the
// same process must give the same classes, or Nest would hold two SecretsService tokens and a
// provider injected with one would never see the other (a silent bug), and `instanceof
// DopplerError` would fail for errors thrown by the other copy. Run by scripts/compat-check.sh
// in the Nest 12 ES module app and in the Nest 11 CommonJS app, after npm installed the tarball
// there; exits non-zero on any failure.
//
// nestjs-doppler is imported first, before Nest: its CommonJS build then require()s Nest while
// this module graph is still being evaluated.
import * as esmMain from 'nestjs-doppler';
import * as esmTesting from 'nestjs-doppler/testing';
import * as esmHealth from 'nestjs-doppler/health';
import * as esmConfig from 'nestjs-doppler/config';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';
import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';

const require = createRequire(join(process.cwd(), 'package.json'));
/** @param {string} id @returns {unknown} */
const load = (id) => require(id);
const cjsMain = /** @type {typeof esmMain} */ (load('nestjs-doppler'));
const cjsTesting = /** @type {typeof esmTesting} */ (load('nestjs-doppler/testing'));
const cjsHealth = /** @type {typeof esmHealth} */ (load('nestjs-doppler/health'));
const cjsConfig = /** @type {typeof esmConfig} */ (load('nestjs-doppler/config'));

const TOKEN = 'dp.st.prd.identity-check-0123456789';

/** @type {string[]} */
const failures = [];
/** @param {string} what @param {boolean} ok @param {string} [detail] */
function check(what, ok, detail = '') {
  if (!ok) failures.push(detail ? `${what} (${detail})` : what);
}

/** @param {unknown} fn @returns {unknown} what it threw */
function thrownBy(fn) {
  try {
    /** @type {() => unknown} */ (fn)();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** @param {unknown} error */
const describe = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

// 1. Every entry point: the same names, each the very same value, by import and by require().
/** @type {[string, Record<string, unknown>, Record<string, unknown>][]} */
const entries = [
  ['nestjs-doppler', esmMain, cjsMain],
  ['nestjs-doppler/testing', esmTesting, cjsTesting],
  ['nestjs-doppler/health', esmHealth, cjsHealth],
  ['nestjs-doppler/config', esmConfig, cjsConfig],
];
for (const [name, esm, cjs] of entries) {
  const esmNames = Object.keys(esm).sort();
  const cjsNames = Object.keys(cjs)
    .filter((key) => key !== '__esModule')
    .sort();
  check(
    `${name}: import and require() export the same names`,
    esmNames.join() === cjsNames.join(),
    `import: ${esmNames.join(', ')}; require: ${cjsNames.join(', ')}`,
  );
  const different = esmNames.filter((key) => esm[key] !== cjs[key]);
  check(
    `${name}: import and require() give the same values`,
    different.length === 0,
    `different: ${different.join(', ')}`,
  );
}

// 2. instanceof across entry points and loaders: objects made by /testing, errors thrown by
// /testing, /health and /config, checked against the classes of the main entry, both ways.
const service = esmTesting.createSecretsService({ values: { API_KEY: 'identity-canary-0123456789' } });
for (const [how, main] of /** @type {const} */ ([
  ['import', esmMain],
  ['require()', cjsMain],
])) {
  check(
    `createSecretsService() (import of /testing) is a SecretsService (${how})`,
    service instanceof main.SecretsService,
  );
  check(`its get() is a Secret (${how})`, service.get('API_KEY') instanceof main.Secret);
}
const cjsService = cjsTesting.createSecretsService({ values: { API_KEY: 'identity-canary-0123456789' } });
check(
  'createSecretsService() (require of /testing) is a SecretsService (import)',
  cjsService instanceof esmMain.SecretsService,
);
check('its get() is a Secret (import)', cjsService.get('API_KEY') instanceof esmMain.Secret);

/** A Standard Schema that refuses everything: createSecretsService throws SecretsValidationError. */
const refuseAll = {
  '~standard': {
    version: 1,
    vendor: 'identity-check',
    validate: () => ({ issues: [{ message: 'refused', path: ['API_KEY'] }] }),
  },
};
/** @type {[string, () => unknown, keyof typeof esmMain][]} */
const throwers = [
  [
    'createSecretsService (testing, import)',
    () => esmTesting.createSecretsService(/** @type {never} */ ({ schema: refuseAll, values: {} })),
    'SecretsValidationError',
  ],
  [
    'createSecretsService (testing, require)',
    () => cjsTesting.createSecretsService(/** @type {never} */ ({ schema: refuseAll, values: {} })),
    'SecretsValidationError',
  ],
  [
    'DopplerHealthIndicator.isHealthy (health, import)',
    () =>
      new esmHealth.DopplerHealthIndicator(service, /** @type {never} */ ({ check: () => ({}) })).isHealthy(
        'doppler',
        { maxAgeMs: -1 },
      ),
    'DopplerConfigurationError',
  ],
  [
    'DopplerHealthIndicator.isHealthy (health, require)',
    () =>
      new cjsHealth.DopplerHealthIndicator(service, /** @type {never} */ ({ check: () => ({}) })).isHealthy(
        'doppler',
        { maxAgeMs: -1 },
      ),
    'DopplerConfigurationError',
  ],
  [
    'DopplerConfigModule.forRoot (config, import)',
    () => esmConfig.DopplerConfigModule.forRoot({ namespace: 'not a name!' }),
    'DopplerConfigurationError',
  ],
  [
    'DopplerConfigModule.forRoot (config, require)',
    () => cjsConfig.DopplerConfigModule.forRoot({ namespace: 'not a name!' }),
    'DopplerConfigurationError',
  ],
];
for (const [what, fn, className] of throwers) {
  const error = thrownBy(fn);
  for (const [how, main] of /** @type {const} */ ([
    ['import', esmMain],
    ['require()', cjsMain],
  ])) {
    const Class = /** @type {new (...args: never[]) => unknown} */ (main[className]);
    check(`${what} throws ${className} of the main entry (${how})`, error instanceof Class, describe(error));
    check(
      `${what} throws a DopplerError of the main entry (${how})`,
      error instanceof main.DopplerError,
      describe(error),
    );
  }
}

// 3. Nest DI: DopplerModule from import, a provider injected with SecretsService from require(),
// and DopplerHealthIndicator from require() (it injects SecretsService itself): one token.
class Consumer {
  /** @param {unknown} secrets */
  constructor(secrets) {
    this.secrets = secrets;
  }
}
Inject(cjsMain.SecretsService)(Consumer, undefined, 0);
Injectable()(Consumer);

const emulator = new esmTesting.DopplerEmulator({
  projects: { identity: { configs: { prd: { secrets: { API_KEY: 'identity-canary-0123456789' } } } } },
  tokens: [{ token: TOKEN, project: 'identity', config: 'prd' }],
});
const apiUrl = await emulator.start();
try {
  class AppModule {}
  Module({
    imports: [esmMain.DopplerModule.forRoot({ token: TOKEN, apiUrl, isGlobal: true }), TerminusModule],
    providers: [Consumer, cjsHealth.DopplerHealthIndicator],
  })(AppModule);
  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: false,
    abortOnError: false,
  }).catch((/** @type {unknown} */ error) => {
    check(
      'an app with DopplerModule (import) and providers injected with require() classes boots',
      false,
      describe(error),
    );
    return undefined;
  });
  if (app) {
    try {
      const injected = app.get(Consumer).secrets;
      check(
        'the require() SecretsService token is the one DopplerModule (import) provides',
        injected === app.get(esmMain.SecretsService),
      );
      check(
        'it is a SecretsService of both',
        injected instanceof esmMain.SecretsService && injected instanceof cjsMain.SecretsService,
      );
      const health = app.get(cjsHealth.DopplerHealthIndicator).isHealthy('doppler');
      check(
        'DopplerHealthIndicator (require) reads the secrets DopplerModule (import) fetched',
        health.doppler.status === 'up',
        JSON.stringify(health),
      );
    } finally {
      await app.close();
    }
  }

  // A bootstrap failure from the import side is an error class of the require() side.
  class WrongTokenModule {}
  Module({
    imports: [
      esmMain.DopplerModule.forRoot({ token: 'dp.st.prd.wrong-token-0123456789', apiUrl, retries: 0 }),
    ],
  })(WrongTokenModule);
  const failed = await NestFactory.createApplicationContext(WrongTokenModule, {
    logger: false,
    abortOnError: false,
  }).then(
    async (context) => {
      await context.close();
      return undefined;
    },
    (/** @type {unknown} */ error) => error,
  );
  check(
    'a wrong token fails with DopplerAuthError of require()',
    failed instanceof cjsMain.DopplerAuthError,
    describe(failed),
  );
  check('... and of import', failed instanceof esmMain.DopplerAuthError, describe(failed));
} finally {
  await emulator.stop();
}

if (failures.length > 0) {
  process.stderr.write(`identity FAILED:\n  - ${failures.join('\n  - ')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(
    `identity ok: import and require() of nestjs-doppler, /testing, /health and /config give the same classes (${entries.reduce((n, [, esm]) => n + Object.keys(esm).length, 0)} exports); SecretsService is one DI token; instanceof DopplerError and Secret hold across entry points\n`,
  );
}
