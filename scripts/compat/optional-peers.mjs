// The published package without its optional peers. Run by scripts/compat-check.sh in an app
// where npm installed the tarball, Nest and the required peers, and none of @nestjs/terminus,
// @nestjs/config and @opentelemetry/api; once per way in, each in a process of its own (a failed
// load must not leave anything behind for the next):
//
//   node optional-peers.mjs import    the ES module entry points, by import()
//   node optional-peers.mjs require   the CommonJS build, by require() (what Jest and Nest 11 load)
//
// The main entry and nestjs-doppler/testing load and a Nest application context boots against the
// bundled emulator (the boot looks for @opentelemetry/api, finds nothing and goes on); the health
// and config entries fail, each naming its own peer and nothing else (each in a child process). The peers are checked to be
// absent first, so the check can fail. Exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';

const mode = process.argv[2];
if (mode !== 'import' && mode !== 'require') {
  process.stderr.write('usage: node optional-peers.mjs import|require\n');
  process.exit(2);
}
const require = createRequire(join(process.cwd(), 'package.json'));
/** @param {string} id @returns {Promise<unknown>} */
const load = (id) =>
  mode === 'require' ? Promise.resolve().then(() => /** @type {unknown} */ (require(id))) : import(id);

const OPTIONAL_PEERS = ['@nestjs/terminus', '@nestjs/config', '@opentelemetry/api'];
/** What each loader says of a package that is not installed. */
const missing = (pkg) =>
  mode === 'require' ? `Cannot find module '${pkg}'` : `Cannot find package '${pkg}'`;

/** @type {string[]} */
const failures = [];
/** @param {string} what @param {boolean} ok @param {string} [detail] */
function check(what, ok, detail = '') {
  if (!ok) failures.push(detail ? `${what} (${detail})` : what);
}
/** @param {unknown} error */
const messageOf = (error) => String(error instanceof Error ? error.message : error);

/** @param {string} id @returns {Promise<{ ok: true, value: unknown } | { ok: false, message: string }>} */
async function tryLoad(id) {
  try {
    return { ok: true, value: await load(id) };
  } catch (error) {
    return { ok: false, message: messageOf(error) };
  }
}

// 1. The control: the peers are really absent here.
for (const pkg of OPTIONAL_PEERS) {
  const outcome = await tryLoad(pkg);
  check(`${pkg} is not installed here`, !outcome.ok && outcome.message.includes(missing(pkg)));
}

// 2. The main entry and the testing entry load.
const main = await tryLoad('nestjs-doppler');
const testing = await tryLoad('nestjs-doppler/testing');
check(`${mode} nestjs-doppler`, main.ok, main.ok ? '' : main.message);
check(`${mode} nestjs-doppler/testing`, testing.ok, testing.ok ? '' : testing.message);

// 3. A boot: the module fetches and validates against the emulator, with no OpenTelemetry API.
if (main.ok && testing.ok) {
  const { DopplerModule, SecretsService } = /** @type {typeof import('nestjs-doppler')} */ (main.value);
  const { DopplerEmulator } = /** @type {typeof import('nestjs-doppler/testing')} */ (testing.value);
  await load('reflect-metadata');
  const { NestFactory } = /** @type {typeof import('@nestjs/core')} */ (await load('@nestjs/core'));
  const { Module } = /** @type {typeof import('@nestjs/common')} */ (await load('@nestjs/common'));
  const API_KEY = 'optional-peers-canary-5d1e';
  const TOKEN = 'dp.st.prd.optional-peers-0123456789';
  const emulator = new DopplerEmulator({
    projects: { app: { configs: { prd: { secrets: { API_KEY } } } } },
    tokens: [{ token: TOKEN, project: 'app', config: 'prd' }],
  });
  const apiUrl = await emulator.start();
  try {
    class AppModule {}
    Module({ imports: [DopplerModule.forRoot({ token: TOKEN, apiUrl })] })(AppModule);
    const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
    try {
      const value = app.get(SecretsService).get('API_KEY').reveal();
      check('the app booted and holds the secret', value === API_KEY);
      check('it asked the emulator', emulator.requestCount >= 1, `requests: ${emulator.requestCount}`);
    } finally {
      await app.close();
    }
  } catch (error) {
    check('an application context boots without @opentelemetry/api', false, messageOf(error));
  } finally {
    await emulator.stop();
  }
}

// 4. The health and config entries fail for want of their own peer, and of nothing else. Each
// in a process of its own: on Node 20, a module that throws while the CommonJS build an ES module
// entry re-exports is evaluated rejects the import() and still ends the process afterwards, as an
// uncaught exception, try/catch or not (nodejs/node#51603).
for (const [entry, pkg] of [
  ['nestjs-doppler/health', '@nestjs/terminus'],
  ['nestjs-doppler/config', '@nestjs/config'],
]) {
  const script =
    mode === 'require'
      ? ['--input-type=commonjs', '-e', `require(${JSON.stringify(entry)})`]
      : ['--input-type=module', '-e', `await import(${JSON.stringify(entry)})`];
  const run = spawnSync(process.execPath, script, { cwd: process.cwd(), encoding: 'utf8', timeout: 60_000 });
  // Both ways reach the CommonJS build, whose require() of the peer is what fails.
  const named = run.stderr.includes(`Cannot find module '${pkg}'`);
  const others = OPTIONAL_PEERS.filter((other) => other !== pkg && run.stderr.includes(`'${other}'`));
  check(
    `${entry} fails for want of ${pkg}, and of nothing else`,
    run.status !== 0 && named && others.length === 0,
    run.status === 0
      ? 'it loaded'
      : (run.stderr.split('\n').find((line) => line.includes('Cannot find')) ?? run.stderr.slice(0, 300)),
  );
}

if (failures.length > 0) {
  process.stderr.write(
    `optional peers (${mode}): ${failures.length} check(s) failed:\n- ${failures.join('\n- ')}\n`,
  );
  process.exitCode = 1;
} else {
  process.stdout.write(
    `optional peers ok (${mode}): main and testing entries load and boot without ${OPTIONAL_PEERS.join(', ')}\n`,
  );
}
