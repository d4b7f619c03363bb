import { IsString, MinLength } from 'class-validator';
import fc from 'fast-check';
import { judgeDopplerHealth } from '../../health/doppler-health.js';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, settle } from '../../../test/support/fake-clock.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { bootstrapSecrets, type Bootstrapped } from '../../load-doppler-secrets.js';
import { DopplerEmulator } from '../../testing/doppler-emulator.js';
import { WATCH_PATH } from '../../testing/emulator-watch.js';
import type { DopplerModuleOptions } from '../../interfaces/doppler-module-options.interface.js';

const CANARY = 'CaNaRy7f3e9b1d';
const TOKEN = `dp.st.dev.${CANARY}watchtoken`;
const INTERVAL = 300_000;

class Secrets {
  @IsString()
  @MinLength(4)
  API_KEY!: string;
}

class RecordingLogger {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(`log ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
  get warnings(): string[] {
    return this.lines.filter((line) => line.startsWith('warn '));
  }
}

const emulator = new DopplerEmulator(
  {
    projects: { p: { configs: { dev: { secrets: { API_KEY: 'key-v1' } } } } },
    tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
  },
  // Pings are sent by hand (pingWatchers): real-time pings would race the fake clock.
  { watchPingIntervalMs: 3_600_000 },
);
let apiUrl = '';
let clock: FakeClock;
let logger: RecordingLogger;
const running: Bootstrapped<Secrets>[] = [];

beforeAll(async () => {
  apiUrl = await emulator.start();
});
beforeEach(() => {
  // From real now: the bootstrap download measures its deadline against Date.now.
  clock = new FakeClock(Date.now());
  logger = new RecordingLogger();
});
afterEach(async () => {
  for (const booted of running.splice(0)) await booted.service.close();
  emulator.clearFaults();
  emulator.setSecrets('p', 'dev', { API_KEY: 'key-v1' });
  emulator.resetRequests();
});
afterAll(() => emulator.stop());

async function boot(
  options: Partial<DopplerModuleOptions> = {},
  random: () => number = () => 0.5,
  url = apiUrl,
): Promise<Bootstrapped<Secrets>> {
  const booted = await bootstrapSecrets<Secrets>(
    { token: TOKEN, apiUrl: url, schema: Secrets, refresh: { watch: true }, ...options },
    { clock, logger: logger as never, random },
  );
  running.push(booted);
  booted.refresher?.start();
  return booted;
}

/**
 * Plays out fake time until `check` holds, as real time would, without sleeping through it:
 * real work in flight (a request: its deadline is armed on the clock) is let finish first, then
 * the next timer runs at once if it falls within `maxFakeMs`. With nothing due in that window,
 * it waits in real time for the code under test to touch the clock (a frame arriving on the
 * stream). A deadline runs only when `stuck()` says the request it bounds will never be answered.
 */
async function until(
  what: string,
  check: () => boolean,
  { maxFakeMs = 30_000, stuck = () => false }: { maxFakeMs?: number; stuck?: () => boolean } = {},
): Promise<void> {
  const realLimit = Date.now() + 10_000;
  const fakeLimit = clock.now() + maxFakeMs;
  for (;;) {
    await settle();
    if (check()) return;
    if (Date.now() > realLimit) throw new Error(`timed out waiting for ${what}`);
    const next = clock.next;
    if (next !== undefined && next.at <= fakeLimit && (clock.armedDeadlines === 0 || stuck())) {
      await clock.runNext();
    } else {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

/** Waits in real time only (fake time stands still). */
const realUntil = (what: string, check: () => boolean): Promise<void> => waitFor(what, check, 10_000);

/** Waits until no request is in flight (none has its deadline armed), fake time standing still. */
const noRequestInFlight = (): Promise<void> =>
  realUntil('the requests in flight to end', () => clock.armedDeadlines === 0);

/** How many times a stall timer (90 s, the default) was armed. */
const stallTimers = (): number => clock.delays.filter((ms) => ms === 90_000).length;
const watchRequests = (): number => emulator.requests.filter((r) => r.path === WATCH_PATH).length;
const downloads = (): number => emulator.requests.filter((r) => r.path.endsWith('/download')).length;

describe('the watch stream against the emulator', () => {
  it('applies an edit within the spread window of its secrets.update event', async () => {
    const { service } = await boot({}, () => 0.25);
    await realUntil('the stream to be live', () => service.status.stream?.state === 'live');
    expect(service.status.channel?.kind).toBe('stream');
    // The re-download after connecting (spread: 0.25 of 2 s) finds nothing new.
    await until('the post-connect check', () => downloads() >= 2);
    expect(service.status.version).toBe(1);

    // The event adds one timer, the spread's (the stall timer is replaced, not added).
    const base = clock.pending;
    emulator.setSecret('p', 'dev', 'API_KEY', 'key-v2');
    await realUntil('the event', () => clock.pending >= base + 1);
    const eventAt = clock.now();
    await until('the change', () => service.status.version === 2);
    expect(service.get('API_KEY').reveal()).toBe('key-v2');
    // Applied 500 ms (0.25 of the 2 s window) after the event, on the fake clock.
    expect(clock.now() - eventAt).toBeGreaterThanOrEqual(500);
    expect(clock.now() - eventAt).toBeLessThanOrEqual(600);
    // The stream brought no polling: one download at boot, one after connecting, one after the event.
    expect(downloads()).toBe(3);
    expect(watchRequests()).toBe(1);
  });

  it('parses frames split byte by byte', async () => {
    emulator.injectWatchFaults({ kind: 'split' });
    const { service } = await boot();
    await realUntil('the stream to be live', () => service.status.stream?.state === 'live');
    await until('the post-connect check', () => downloads() >= 2);
    // The event, byte by byte, schedules the re-download's spread: fake time waits for it, so the
    // change comes from the parsed event and not from a stall's reconnect.
    const base = clock.pending;
    emulator.setSecret('p', 'dev', 'API_KEY', 'key-split');
    await realUntil('the event', () => clock.pending >= base + 1);
    await until('the change', () => service.status.version === 2);
    expect(watchRequests()).toBe(1);
    expect(service.get('API_KEY').reveal()).toBe('key-split');
  });

  it('reconnects a stalled stream (no ping for 90 s) and re-downloads', async () => {
    emulator.injectWatchFaults({ kind: 'stall' });
    const { service } = await boot();
    await realUntil('the stream to be live', () => service.status.stream?.state === 'live');
    await until('the post-connect check', () => downloads() >= 2);
    await clock.advance(80_000);
    expect(watchRequests()).toBe(1);
    // The edit's event is never sent on the stalled stream: only the re-download brings it.
    emulator.setSecret('p', 'dev', 'API_KEY', 'key-after-stall');
    await until('the reconnect', () => watchRequests() === 2);
    expect(logger.warnings.join('\n')).toMatch(/stalled/);
    await until('the change', () => service.status.version === 2);
    expect(service.get('API_KEY').reveal()).toBe('key-after-stall');
    expect(service.status.stream?.state).toBe('live');
  });

  it('keeps a pinged stream open past the stall window', async () => {
    const { service } = await boot();
    await realUntil('the stream to be live', () => service.status.stream?.state === 'live');
    for (let i = 0; i < 4; i++) {
      await clock.advance(60_000);
      // Each byte that arrives re-arms the 90 s stall timer: that is the ping's arrival.
      const armed = stallTimers();
      emulator.pingWatchers();
      await realUntil('the ping', () => stallTimers() > armed);
    }
    expect(watchRequests()).toBe(1);
    expect(service.status.stream?.state).toBe('live');
  });

  it('reconnects a dropped stream with backoff and picks up what changed meanwhile', async () => {
    emulator.injectWatchFaults({ kind: 'drop', afterMs: 0 });
    const { service } = await boot({}, () => 0);
    await realUntil('the drop', () => service.status.stream?.state === 'down' && watchRequests() === 1);
    const since = service.status.stream?.since;
    emulator.setSecret('p', 'dev', 'API_KEY', 'key-while-down');
    expect(service.status.channel?.kind).toBe('polling');
    // random 0: the first wait is half of 1 s.
    await until('the reconnect', () => watchRequests() === 2);
    await until('the change', () => service.status.version === 2);
    expect(service.get('API_KEY').reveal()).toBe('key-while-down');
    expect(service.status.stream?.state).toBe('live');
    expect(service.status.stream?.since.getTime()).toBeGreaterThan(since?.getTime() ?? Infinity);
    expect(service.status.channel?.kind).toBe('stream');
  });

  it('falls back to polling on a 403, with one warning', async () => {
    emulator.injectWatchFaults({ kind: 'status', status: 403 });
    const { service } = await boot({ refresh: { watch: true, interval: 1_000, jitter: 0 } });
    await realUntil('the refusal', () => service.status.stream?.state === 'unavailable');
    expect(service.status.channel?.kind).toBe('polling');
    emulator.setSecret('p', 'dev', 'API_KEY', 'key-polled');
    await until('the polled change', () => service.status.version === 2);
    await until('more polls', () => downloads() >= 6);
    expect(watchRequests()).toBe(1);
    const warnings = logger.warnings.filter((line) => /watch stream/.test(line));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/403.*polling every 1s/);
  });

  it('waits out the retry-after of a 429 on connect (capped), then connects', async () => {
    emulator.injectWatchFaults({ kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    const { service } = await boot();
    await realUntil('the 429', () => watchRequests() === 1 && clock.pending >= 2);
    await clock.advance(29_000);
    // A connect started early would be in flight (its deadline armed) or done: either is seen.
    await noRequestInFlight();
    expect(watchRequests()).toBe(1);
    await until('the second connect', () => watchRequests() === 2);
    await realUntil('the stream to be live', () => service.status.stream?.state === 'live');
  });

  it('caps a huge retry-after on connect at ten minutes', async () => {
    emulator.injectWatchFaults({ kind: 'status', status: 429, headers: { 'retry-after': '86400' } });
    await boot();
    await realUntil('the 429', () => watchRequests() === 1 && clock.delays.includes(600_000));
  });

  it('retries a rate-limited re-download after its retry-after plus a spread of the minute, not in a loop', async () => {
    // An hour's safety net: its first check (at half the hour) stays out of the way.
    const { service } = await boot({ refresh: { watch: true, interval: 3_600_000 } });
    await realUntil('the stream to be live', () => service.status.stream?.state === 'live');
    await until('the post-connect check', () => downloads() >= 2);
    emulator.injectFaults({ kind: 'status', status: 429, headers: { 'retry-after': '20' } });
    emulator.setSecret('p', 'dev', 'API_KEY', 'key-after-429');
    await until('the rate-limited download', () => downloads() === 3);
    expect(service.status.lastFailureCode).toBe('DOPPLER_RATE_LIMITED');
    // retry-after 20 s plus random 0.5 of the 60 s spread: nothing before 50 s.
    await clock.advance(49_000);
    // A retry started early would be in flight (its deadline armed) or done: either is seen.
    await noRequestInFlight();
    expect(downloads()).toBe(3);
    await until('the retry', () => service.status.version === 2);
    expect(downloads()).toBe(4);
    // No further retry (30 s more stays inside the stream's 90 s stall window since the event,
    // whose reconnect would re-download, rightly).
    await clock.advance(30_000);
    expect(downloads()).toBe(4);
  });

  it('spreads the re-downloads of a fleet over the window', async () => {
    const replicas = 8;
    const fleet: Bootstrapped<Secrets>[] = [];
    // Replica i draws (i + 0.5) / 8: its re-download comes (i + 0.5) * 250 ms after the event.
    for (let i = 0; i < replicas; i++) fleet.push(await boot({}, () => (i + 0.5) / replicas));
    await realUntil('every stream to be live', () =>
      fleet.every((b) => b.service.status.stream?.state === 'live'),
    );
    await clock.advance(2_000);
    await realUntil('the post-connect checks', () => downloads() === 2 * replicas);
    const applied: number[] = [];
    for (const { service } of fleet) service.changes.subscribe((change) => applied.push(change.at.getTime()));
    // Each replica's event adds one timer, its spread (the stall timer is replaced, not added).
    const base = clock.pending;
    emulator.setSecret('p', 'dev', 'API_KEY', 'key-fleet');
    await realUntil('every event', () => clock.pending >= base + replicas);
    const eventAt = clock.now();
    await until('every change', () => applied.length === replicas);
    const offsets = applied.map((at) => at - eventAt).sort((a, b) => a - b);
    // One replica per 250 ms slot of the 2 s window, none outside it.
    offsets.forEach((offset, i) => {
      expect(offset).toBeGreaterThanOrEqual((i + 0.5) * 250);
      expect(offset).toBeLessThan((i + 0.5) * 250 + 100);
    });
    expect(downloads()).toBe(3 * replicas);
  }, 20_000);

  it('leaves no timer, stream or request behind on shutdown, and does nothing after', async () => {
    const { service } = await boot();
    await realUntil('the stream to be live', () => emulator.watcherCount === 1);
    // Past the bootstrap deadline's timer and the post-connect re-download.
    await until('the post-connect check', () => downloads() >= 2);
    await clock.advance(20_000);
    await service.close();
    running.splice(0);
    expect(clock.pending).toBe(0);
    await realUntil('the server to see the stream closed', () => emulator.watcherCount === 0);
    const before = emulator.requestCount;
    emulator.setSecret('p', 'dev', 'API_KEY', 'key-after-stop');
    await clock.advance(INTERVAL * 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(emulator.requestCount).toBe(before);
    expect(service.status.version).toBe(1);
  });

  it('an edit through a seed reload emits secrets.update', async () => {
    const { service } = await boot();
    await realUntil('the stream to be live', () => service.status.stream?.state === 'live');
    await until('the post-connect check', () => downloads() >= 2);
    emulator.reloadSeed({
      projects: { p: { configs: { dev: { secrets: { API_KEY: 'key-reloaded' } } } } },
      tokens: [{ token: TOKEN, project: 'p', config: 'dev' }],
    });
    await until('the change', () => service.status.version === 2);
    expect(service.get('API_KEY').reveal()).toBe('key-reloaded');
  });
});

/** A server that forwards downloads to the emulator and serves the watch path as the test says. */
async function hostile(
  watch: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (req.url?.startsWith(WATCH_PATH)) return watch(req, res);
    const target = new URL(apiUrl);
    const out = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(out);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

describe('the watch stream against hostile servers', () => {
  it('closes a stream whose line never ends, and reconnects', async () => {
    let connects = 0;
    const server = await hostile((_req, res) => {
      connects++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (connects === 1) {
        const chunk = 'x'.repeat(4096);
        for (let i = 0; i < 8; i++) res.write(chunk);
      } else {
        res.write('event: message\ndata: {"type":"connected"}\n\n');
      }
    });
    try {
      const { service } = await boot({}, () => 0, server.url);
      await until('the reconnect', () => connects === 2 && service.status.stream?.state === 'live');
      expect(logger.warnings.join('\n')).toMatch(/line longer than/);
    } finally {
      for (const booted of running.splice(0)) await booted.service.close();
      await server.close();
    }
  });

  it('refuses a 200 that is not an event stream, and never prints the token it echoes', async () => {
    let connects = 0;
    const server = await hostile((req, res) => {
      connects++;
      const echoed = String(req.headers.authorization);
      if (connects === 1) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ messages: [`slow down ${echoed} ${TOKEN}`], success: false }));
      } else if (connects === 2) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<html>${echoed}</html>`);
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`event: message\ndata: {"type":"connected","token":"${TOKEN}"}\n\n`);
        res.write(`event: ${TOKEN}\ndata: ${TOKEN}\n\n: ${TOKEN}\n\n`);
        res.end();
      }
    });
    try {
      const { service } = await boot({}, () => 0, server.url);
      await until('three connects', () => connects >= 4);
      const everything = [
        ...logger.lines,
        JSON.stringify(service.status),
        JSON.stringify(service.metadata),
      ].join('\n');
      // One warning per outage: the first failure's, with Doppler's message scrubbed.
      expect(everything).toMatch(/rate-limited[^\n]*slow down Bearer \[token\]/);
      expect(service.status.stream?.state).not.toBe('unavailable');
      expect(everything).not.toContain(CANARY);
    } finally {
      for (const booted of running.splice(0)) await booted.service.close();
      await server.close();
    }
  });
});

describe('the watch stream keeps the client rules', () => {
  it('gives up on headers that never come after the timeout option, and reconnects', async () => {
    let connects = 0;
    const server = await hostile(() => {
      connects++; // never answers
    });
    try {
      // random 0.5: the first poll (half the interval) stays out of the way of the hung request.
      const { service } = await boot({ timeout: 200 }, () => 0.5, server.url);
      const connectAt = clock.now();
      await until('the timeout', () => logger.warnings.length === 1, { stuck: () => connects === 1 });
      expect(clock.now() - connectAt).toBe(200);
      expect(logger.warnings[0]).toMatch(/could not be opened/);
      expect(service.status.stream?.state).toBe('down');
      await until('the reconnect', () => connects === 2);
    } finally {
      for (const booted of running.splice(0)) await booted.service.close();
      await server.close();
    }
  });

  it('follows no redirect: the token goes nowhere else', async () => {
    const elsewhere: string[] = [];
    const thief = await hostile((req, res) => {
      elsewhere.push(String(req.headers.authorization));
      res.end();
    });
    const server = await hostile((_req, res) => {
      res.writeHead(302, { location: `${thief.url}${WATCH_PATH}` });
      res.end();
    });
    try {
      const { service } = await boot({}, () => 0, server.url);
      await realUntil('the refusal', () => logger.warnings.length === 1);
      expect(logger.warnings[0]).toMatch(/redirect/);
      expect(service.status.stream?.state).toBe('down');
      expect(elsewhere).toEqual([]);
    } finally {
      for (const booted of running.splice(0)) await booted.service.close();
      await server.close();
      await thief.close();
    }
  });
});

describe('the watch stream and health', () => {
  it('turns the health check down once the stream has been down past the threshold', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messages: ['down for maintenance'], success: false }));
    });
    try {
      const { service } = await boot({}, () => 0.5, server.url);
      await realUntil('the first failure', () => logger.warnings.length === 1);
      expect(judgeDopplerHealth(service).healthy).toBe(true);
      await until('16 minutes down', () => (service.status.stream?.forMs ?? 0) > 16 * 60_000, {
        maxFakeMs: 20 * 60_000,
      });
      const verdict = judgeDopplerHealth(service);
      expect(verdict.healthy).toBe(false);
      expect(verdict.details).toMatchObject({ stream: 'down', channel: 'polling' });
      // Polling kept the set fresh meanwhile: only the stream is reported.
      expect(service.status.stale).toBe(false);
      // One warning for the whole outage, however many reconnects.
      expect(logger.warnings.filter((line) => /watch stream/.test(line))).toHaveLength(1);
    } finally {
      for (const booted of running.splice(0)) await booted.service.close();
      await server.close();
    }
  });
});

describe('canary: the token never leaves through the watch stream', () => {
  it('keeps any token out of logs, status and health, whatever a server echoes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9]{16,40}$/), async (suffix) => {
        const token = `dp.st.dev.${suffix}`;
        const seedToken = { token, project: 'p', config: 'dev' };
        emulator.addToken(seedToken);
        let connects = 0;
        const server = await hostile((req, res) => {
          connects++;
          const echoed = `${String(req.headers.authorization)} ${req.url ?? ''} ${suffix}`;
          if (connects === 1) {
            res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
            res.end(JSON.stringify({ messages: [echoed, token], success: false }));
          } else if (connects === 2) {
            res.writeHead(403, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ messages: [`no stream for ${echoed}`], success: false }));
          }
        });
        const local = new RecordingLogger();
        try {
          const booted = await bootstrapSecrets<Secrets>(
            { token, apiUrl: server.url, schema: Secrets, refresh: { watch: true } },
            { clock, logger: local as never, random: () => 0 },
          );
          running.push(booted);
          booted.refresher?.start();
          const { service } = booted;
          await until('the refusal', () => service.status.stream?.state === 'unavailable');
          const everything = [
            ...local.lines,
            JSON.stringify(service.status),
            JSON.stringify(judgeDopplerHealth(service)),
          ].join('\n');
          expect(everything).toMatch(/refused the watch stream \(403\)/);
          expect(everything).not.toContain(suffix);
        } finally {
          for (const booted of running.splice(0)) await booted.service.close();
          await server.close();
          emulator.revokeToken(token);
        }
      }),
      { numRuns: 8 },
    );
  }, 60_000);
});
