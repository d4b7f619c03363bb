import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DopplerEmulator } from './doppler-emulator.js';
import { EXIT_FAILURE, EXIT_USAGE, runEmulatorCli, type EmulatorCliIo } from './emulator-cli-runner.js';

const CANARY_TOKEN = 'dp.st.dev.CLI-CANARY-TOKEN';
const CANARY_VALUE = 'CLI-CANARY-VALUE';

const dir = mkdtempSync(join(tmpdir(), 'doppler-emulator-cli-'));
const seedFile = join(dir, 'seed.json');
writeFileSync(
  seedFile,
  JSON.stringify({
    projects: {
      app: { configs: { dev: { secrets: { API_KEY: CANARY_VALUE } }, prd: {} } },
      api: { configs: { dev: {} } },
    },
    tokens: [{ token: CANARY_TOKEN, project: 'app', config: 'dev' }, { token: 'dp.pt.other' }],
  }),
);

interface FakeIo extends EmulatorCliIo {
  readonly out: () => string;
  readonly err: () => string;
  readonly signals: EventEmitter;
}

function fakeIo(onListening?: (emulator: DopplerEmulator) => void): FakeIo {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    signals: new EventEmitter(),
    out: () => out,
    err: () => err,
    ...(onListening ? { onListening } : {}),
  };
}

const blocker = new DopplerEmulator({ projects: {} });
afterEach(() => blocker.stop());

describe('runEmulatorCli', () => {
  it('prints usage for --help and exits 0', async () => {
    const io = fakeIo();
    expect(await runEmulatorCli(['--help'], io)).toBe(0);
    expect(io.out()).toContain('Usage: nestjs-doppler-emulator --seed');
  });

  it.each([
    [[], /--seed <file.json> is required/],
    [['--seed', seedFile, '--port', 'abc'], /--port must be an integer/],
    [['--seed', seedFile, '--port', '70000'], /--port must be an integer/],
    [['--seed'], /invalid value for --seed/],
    [['--seed', seedFile, `--token=${CANARY_TOKEN}`], /unknown option --token/],
    [['--seed', seedFile, CANARY_TOKEN], /unexpected positional argument/],
  ])('exits 2 for bad arguments %j without echoing them', async (argv, message) => {
    const io = fakeIo();
    expect(await runEmulatorCli(argv, io)).toBe(EXIT_USAGE);
    expect(io.err()).toMatch(message);
    expect(io.err()).not.toContain(CANARY_TOKEN);
    expect(io.out()).toBe('');
  });

  it('exits 2 for an unreadable or malformed seed without printing its content', async () => {
    const missing = fakeIo();
    expect(await runEmulatorCli(['--seed', join(dir, 'missing.json')], missing)).toBe(EXIT_USAGE);
    expect(missing.err()).toMatch(/Cannot read emulator seed file .*missing\.json/);
    const malformedFile = join(dir, 'malformed.json');
    writeFileSync(malformedFile, JSON.stringify({ projects: {}, tokens: [{ token: CANARY_TOKEN }] }));
    const malformed = fakeIo();
    expect(await runEmulatorCli(['--seed', malformedFile], malformed)).toBe(EXIT_USAGE);
    expect(malformed.err()).toMatch(/tokens\[0\]\.project is required/);
    expect(malformed.err()).not.toContain(CANARY_TOKEN);
  });

  it('exits 1 when the port is taken', async () => {
    await blocker.start();
    const io = fakeIo();
    expect(await runEmulatorCli(['--seed', seedFile, '--port', String(blocker.port)], io)).toBe(EXIT_FAILURE);
    expect(io.err()).toMatch(/cannot listen: .*EADDRINUSE/);
  });

  it('serves the seed, prints one line without tokens or values, and stops on SIGTERM', async () => {
    let running: DopplerEmulator | undefined;
    const io = fakeIo((emulator) => (running = emulator));
    const exit = runEmulatorCli(['--seed', seedFile, '--host', '127.0.0.1'], io);
    await expect.poll(() => running).toBeDefined();
    expect(io.out()).toMatch(
      /^Doppler emulator listening on http:\/\/127\.0\.0\.1:\d+ \(2 projects, 3 configs, 2 tokens\)\n$/,
    );
    const url = running!.url;
    const response = await fetch(`${url}/v3/configs/config/secrets/download`, {
      headers: { authorization: `Bearer ${CANARY_TOKEN}` },
    });
    expect(await response.json()).toMatchObject({ API_KEY: CANARY_VALUE });
    io.signals.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(io.signals.listenerCount('SIGINT')).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
    for (const output of [io.out(), io.err()]) {
      expect(output).not.toContain(CANARY_TOKEN);
      expect(output).not.toContain(CANARY_VALUE);
    }
  });

  it('reads identities from the seed file and counts them', async () => {
    const oidcSeed = join(dir, 'oidc-seed.json');
    writeFileSync(
      oidcSeed,
      JSON.stringify({
        projects: { app: { configs: { prd: {} } } },
        identities: [{ id: 'pod', project: 'app', config: 'prd', audience: 'aud', subject: 'sub' }],
      }),
    );
    let running: DopplerEmulator | undefined;
    const io = fakeIo((emulator) => (running = emulator));
    const exit = runEmulatorCli(['--seed', oidcSeed, '--host', '127.0.0.1'], io);
    await expect.poll(() => running).toBeDefined();
    expect(io.out()).toMatch(/\(1 projects, 1 configs, 0 tokens, 1 OIDC identities\)\n$/);
    io.signals.emit('SIGTERM');
    expect(await exit).toBe(0);
  });
});
