import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
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

  describe('an edit to the seed file', () => {
    const seedWith = (value: string): string =>
      JSON.stringify({
        projects: { app: { configs: { dev: { secrets: { API_KEY: value } } } } },
        tokens: [{ token: CANARY_TOKEN, project: 'app', config: 'dev' }],
      });
    const served = async (url: string): Promise<unknown> => {
      const response = await fetch(`${url}/v3/configs/config/secrets/download`, {
        headers: { authorization: `Bearer ${CANARY_TOKEN}` },
      });
      return ((await response.json()) as { API_KEY?: unknown }).API_KEY;
    };
    /** Opens the watch stream and collects the event types it delivers. */
    async function watchEvents(url: string): Promise<{ types: string[]; close(): void }> {
      const controller = new AbortController();
      const response = await fetch(`${url}/v3/configs/config/secrets/watch`, {
        headers: { authorization: `Bearer ${CANARY_TOKEN}`, accept: 'text/event-stream' },
        signal: controller.signal,
      });
      const types: string[] = [];
      const decoder = new TextDecoder();
      let text = '';
      void (async () => {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          text += decoder.decode(chunk, { stream: true });
          for (const m of text.matchAll(/data: \{"type":"([\w.]+)"\}\n\n/g)) types.push(m[1]);
          text = text.slice(text.lastIndexOf('\n\n') + 2);
        }
      })().catch(() => undefined);
      return { types, close: () => controller.abort() };
    }
    const fresh = (value: string): string => {
      const file = join(mkdtempSync(join(tmpdir(), 'doppler-emulator-cli-watch-')), 'seed.json');
      writeFileSync(file, seedWith(value));
      return file;
    };

    it('is served and emits secrets.update to watchers (fs.watch)', async () => {
      const file = fresh('first-value');
      let running: DopplerEmulator | undefined;
      const io = fakeIo((emulator) => (running = emulator));
      const exit = runEmulatorCli(['--seed', file], io);
      await expect.poll(() => running).toBeDefined();
      const url = running!.url;
      const stream = await watchEvents(url);
      await expect.poll(() => stream.types).toContain('connected');
      expect(await served(url)).toBe('first-value');

      writeFileSync(file, seedWith(CANARY_VALUE));
      await expect.poll(() => served(url)).toBe(CANARY_VALUE);
      await expect.poll(() => stream.types).toContain('secrets.update');
      expect(io.out()).toMatch(/Reloaded .*seed\.json \(1 projects, 1 configs, 1 tokens\)\n$/);
      stream.close();
      io.signals.emit('SIGTERM');
      expect(await exit).toBe(0);
      for (const output of [io.out(), io.err()]) {
        expect(output).not.toContain(CANARY_TOKEN);
        expect(output).not.toContain(CANARY_VALUE);
      }
    });

    it('is picked up by the mtime poll when no file event comes', async () => {
      const file = fresh('first-value');
      const clock = new FakeClock();
      let running: DopplerEmulator | undefined;
      const io = { ...fakeIo((emulator) => (running = emulator)), seedWatch: { fsWatch: false, clock } };
      const exit = runEmulatorCli(['--seed', file], io);
      await expect.poll(() => running).toBeDefined();
      // The poll is scheduled once the file's first mtime is known.
      await expect.poll(() => clock.pending).toBe(1);
      const url = running!.url;
      writeFileSync(file, seedWith('second-value-longer'));
      await clock.advance(4_999);
      expect(await served(url)).toBe('first-value');
      await clock.advance(1);
      await expect.poll(() => served(url)).toBe('second-value-longer');
      io.signals.emit('SIGTERM');
      expect(await exit).toBe(0);
      // Stopped: no poll left behind.
      expect(clock.pending).toBe(0);
    });

    it('that is malformed keeps the previous seed and says why, without printing the file', async () => {
      const file = fresh('first-value');
      let running: DopplerEmulator | undefined;
      const io = fakeIo((emulator) => (running = emulator));
      const exit = runEmulatorCli(['--seed', file], io);
      await expect.poll(() => running).toBeDefined();
      writeFileSync(
        file,
        JSON.stringify({ projects: {}, tokens: [{ token: CANARY_TOKEN, x: CANARY_VALUE }] }),
      );
      await expect.poll(() => io.err()).toMatch(/kept the previous seed: .*tokens\[0\]\.project is required/);
      expect(await served(running!.url)).toBe('first-value');
      io.signals.emit('SIGTERM');
      expect(await exit).toBe(0);
      expect(io.err()).not.toContain(CANARY_TOKEN);
      expect(io.err()).not.toContain(CANARY_VALUE);
    });
  });
});
