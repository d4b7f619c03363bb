import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { presentedTokenKind, readCredentials } from './emulator-auth.js';
import { DOPPLER_MESSAGES, dopplerError, sendPlanned, type PlannedResponse } from './emulator-errors.js';
import { respondWithFault } from './emulator-fault-responder.js';
import { assertValidFault, type EmulatorFault } from './emulator-faults.js';
import { SlidingWindowRateLimiter } from './emulator-rate-limiter.js';
import { readRequestBody } from './emulator-request-body.js';
import { RequestLog, type EmulatorRequest, type PendingRequest } from './emulator-request-log.js';
import type { EmulatorRouteRequest } from './emulator-route.js';
import { EMULATOR_ROUTES, matchRoute } from './emulator-routes.js';
import {
  parseEmulatorSeed,
  readEmulatorSeedFile,
  type EmulatorIdentitySeed,
  type EmulatorSeed,
  type EmulatorTokenSeed,
} from './emulator-seed.js';
import { EmulatorStore, type EmulatorIssuedToken } from './emulator-store.js';
import {
  assertValidWatchFault,
  EmulatorWatchHub,
  isPlannedStream,
  WATCH_ROUTE,
  type EmulatorWatchFault,
} from './emulator-watch.js';

/**
 * Per-token request budget, enforced like Doppler's: `429` with `retry-after` when exceeded.
 *
 * @publicApi
 */
export interface EmulatorRateLimit {
  readonly requestsPerMinute: number;
}

/**
 * @publicApi
 */
export interface DopplerEmulatorOptions {
  /**
   * Port to listen on; `0` picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Interface to bind; keep it on loopback so seeded secrets never leave the machine.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * Sliding-window rate limit per token.
   * @default undefined (no limit)
   */
  readonly rateLimit?: EmulatorRateLimit;
  /**
   * Requests kept in {@link DopplerEmulator.requests} (the newest); `requestCount` counts all.
   * @default 10000
   */
  readonly requestLogLimit?: number;
  /**
   * Milliseconds between the pings sent on every open watch stream (real time).
   * @default 15000
   */
  readonly watchPingIntervalMs?: number;
  /**
   * The emulator's clock, in epoch milliseconds: when issued `dp.said.` tokens expire, whether a
   * JWT's `exp`/`nbf`/`iat` hold, the rate limit's window and the request log's times. Give a
   * test's fake clock to expire tokens without waiting.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * Counts of what the emulator serves, safe to print.
 *
 * @publicApi
 */
export interface EmulatorSummary {
  readonly projects: number;
  readonly configs: number;
  readonly tokens: number;
  readonly identities: number;
}

/**
 * A local HTTP server that answers Doppler's secrets endpoints like the real API:
 * `GET /v3/configs/config/secrets/download` (every `format` and `name_transformer` of Doppler's
 * OpenAPI document, `secrets=`, `ETag`/`304`) and `GET /v3/configs/config/secrets/names`, with
 * the same auth schemes, token kinds and error bodies, plus fault injection for resilience tests;
 * and the workload identity calls, `POST /v3/auth/oidc` (a platform's JWT for an expiring
 * `dp.said.` token, checked against the seed's identities) and `POST /v3/auth/revoke`.
 * It also serves the watch stream `GET /v3/configs/config/secrets/watch` (server-sent events): an
 * edit through this API or {@link DopplerEmulator.reloadSeed} sends `secrets.update` to the
 * config's watchers, pings go out every `watchPingIntervalMs`, and `injectWatchFaults` stalls,
 * drops, refuses (429, 403) or splits a connection byte by byte.
 * The endpoints are listed in `EMULATOR_ROUTES`; CI checks each against Doppler's published
 * OpenAPI document (scripts/contract).
 *
 * @example
 * const emulator = new DopplerEmulator({
 *   projects: { 'sample-app': { configs: { dev: { secrets: { PORT: '3000' } } } } },
 *   tokens: [{ token: 'dp.st.dev.test', project: 'sample-app', config: 'dev' }],
 * });
 * const apiUrl = await emulator.start();
 * // ... point the client at apiUrl ...
 * await emulator.stop();
 *
 * @publicApi
 */
export class DopplerEmulator {
  private store: EmulatorStore;
  private readonly watchers: EmulatorWatchHub;
  private readonly queuedWatchFaults: EmulatorWatchFault[] = [];
  private readonly log: RequestLog;
  private readonly limiter: SlidingWindowRateLimiter | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly queuedFaults: EmulatorFault[] = [];
  private persistentFault: EmulatorFault | undefined;
  private server: Server | undefined;
  private readonly now: () => number;

  constructor(
    seed: EmulatorSeed,
    private readonly options: DopplerEmulatorOptions = {},
  ) {
    this.store = new EmulatorStore(parseEmulatorSeed(seed));
    const limit = options.requestLogLimit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw new RangeError('DopplerEmulator: requestLogLimit must be an integer >= 1');
    }
    this.log = new RequestLog(limit);
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new TypeError('DopplerEmulator: now must be a function returning epoch milliseconds');
    }
    this.now = options.now ?? Date.now;
    const perMinute = options.rateLimit?.requestsPerMinute;
    if (perMinute !== undefined && (!Number.isInteger(perMinute) || perMinute < 1)) {
      throw new RangeError('DopplerEmulator: rateLimit.requestsPerMinute must be an integer >= 1');
    }
    this.limiter = perMinute === undefined ? undefined : new SlidingWindowRateLimiter(perMinute);
    const ping = options.watchPingIntervalMs ?? 15_000;
    if (!Number.isInteger(ping) || ping < 1) {
      throw new RangeError('DopplerEmulator: watchPingIntervalMs must be an integer >= 1');
    }
    this.watchers = new EmulatorWatchHub(ping);
  }

  /**
   * Creates an emulator from a JSON seed file.
   *
   * @example
   * const emulator = DopplerEmulator.fromFile('test/doppler-seed.json', { port: 8787 });
   *
   * @throws Error naming the path or the malformed field, never a token or secret value.
   */
  static fromFile(path: string, options?: DopplerEmulatorOptions): DopplerEmulator {
    return new DopplerEmulator(readEmulatorSeedFile(path), options);
  }

  /**
   * Base URL of the running emulator, e.g. `http://127.0.0.1:43567`.
   *
   * @throws Error when the emulator is not listening.
   */
  get url(): string {
    const host = this.options.host ?? '127.0.0.1';
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /**
   * Port the emulator listens on.
   *
   * @throws Error when the emulator is not listening.
   */
  get port(): number {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === 'string') {
      throw new Error('DopplerEmulator is not listening; await start() first');
    }
    return (address satisfies AddressInfo).port;
  }

  /** Projects, configs and tokens currently served. */
  get summary(): EmulatorSummary {
    return {
      projects: this.store.projectCount,
      configs: this.store.configCount,
      tokens: this.store.tokenCount,
      identities: this.store.identityCount,
    };
  }

  /**
   * The `dp.said.` tokens issued by `POST /v3/auth/oidc`, oldest first, with when each expires and
   * whether it was revoked; never the tokens themselves.
   */
  get identityTokens(): readonly EmulatorIssuedToken[] {
    return this.store.issuedTokens();
  }

  /** Copies of every logged request, oldest first. Never contains a token or secret value. */
  get requests(): readonly EmulatorRequest[] {
    return this.log.snapshot();
  }

  /** Number of requests received since start or the last `resetRequests()`. */
  get requestCount(): number {
    return this.log.size;
  }

  /**
   * Starts listening.
   *
   * @returns the base URL to give the Doppler client
   */
  async start(): Promise<string> {
    if (this.server !== undefined) {
      throw new Error('DopplerEmulator is already running');
    }
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error: unknown) {
      this.server = undefined;
      throw error;
    }
    return this.url;
  }

  /**
   * Stops listening and destroys every open connection, hung and dripping ones included,
   * so the test process can exit. Safe to call when not running.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) {
      return;
    }
    this.server = undefined;
    this.watchers.close();
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      for (const socket of this.sockets) {
        socket.destroy();
      }
    });
  }

  /**
   * Replaces all secrets of a config, creating the project and config when missing.
   *
   * @example
   * emulator.setSecrets('sample-app', 'dev', { PORT: '4000' });
   */
  setSecrets(project: string, config: string, secrets: Readonly<Record<string, string>>): void {
    this.store.setSecrets(project, config, secrets);
    this.watchers.notify(project, config);
  }

  /**
   * Sets one secret, creating the project and config when missing.
   *
   * @example
   * emulator.setSecret('sample-app', 'dev', 'FEATURE_FLAG', '');
   */
  setSecret(project: string, config: string, name: string, value: string): void {
    this.store.setSecret(project, config, name, value);
    this.watchers.notify(project, config);
  }

  /**
   * Deletes one secret.
   *
   * @returns whether the secret existed
   */
  deleteSecret(project: string, config: string, name: string): boolean {
    const deleted = this.store.deleteSecret(project, config, name);
    if (deleted) this.watchers.notify(project, config);
    return deleted;
  }

  /**
   * Replaces everything served with a new seed (projects, configs, secrets, tokens), as after
   * editing the seed file, and sends `secrets.update` to the watchers of every config whose
   * secrets changed.
   *
   * @example
   * emulator.reloadSeedFile('test/doppler-seed.json'); // after editing the file
   * @throws Error naming the malformed field; the seed served so far stays.
   */
  reloadSeed(seed: EmulatorSeed): void {
    const next = new EmulatorStore(parseEmulatorSeed(seed));
    const previous = this.store;
    this.store = next;
    for (const [project, config] of previous.changedConfigs(next)) this.watchers.notify(project, config);
  }

  /** {@link reloadSeed} from a JSON seed file. */
  reloadSeedFile(path: string): void {
    this.reloadSeed(readEmulatorSeedFile(path));
  }

  /** Number of watch streams open now. */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Sends a ping on every open watch stream now (besides the interval's). */
  pingWatchers(): void {
    this.watchers.ping();
  }

  /**
   * Queues faults for watch connections; each new watch request consumes the next one.
   *
   * @example
   * emulator.injectWatchFaults({ kind: 'status', status: 429, headers: { 'retry-after': '5' } }, { kind: 'stall' });
   */
  injectWatchFaults(...faults: EmulatorWatchFault[]): void {
    faults.forEach(assertValidWatchFault);
    this.queuedWatchFaults.push(...faults);
  }

  /**
   * Accepts another token from the next request on.
   *
   * @example
   * emulator.addToken({ token: 'dp.sa.ci', project: 'sample-app' });
   */
  addToken(entry: EmulatorTokenSeed): void {
    this.store.addToken(entry);
  }

  /**
   * Exchanges OIDC tokens for another identity from the next request on.
   *
   * @example
   * emulator.addIdentity({ id: 'gha', project: 'shop', config: 'ci', audience: 'https://github.com/acme', subject: 'repo:acme/shop:ref:refs/heads/main' });
   */
  addIdentity(entry: EmulatorIdentitySeed): void {
    this.store.addIdentity(entry);
  }

  /**
   * Revokes every `dp.said.` token issued so far for an identity (as an admin does in Doppler's
   * dashboard): the download answers 401 to them from the next request on, before their expiry.
   *
   * @returns how many tokens were revoked
   */
  revokeIdentityTokens(identity: string): number {
    return this.store.revokeIdentityTokens(identity, this.now());
  }

  /**
   * Rejects a token (`401`) from the next request on: a seeded one, or one issued by the OIDC
   * exchange (which stays listed in {@link identityTokens}, marked revoked).
   *
   * @returns whether the token was accepted before
   */
  revokeToken(token: string): boolean {
    return this.store.revokeToken(token, this.now());
  }

  /**
   * Queues faults; each request to the download endpoint consumes the next one instead of
   * the normal answer. Queued faults take precedence over the persistent one.
   *
   * @example
   * emulator.injectFaults({ kind: 'status', status: 503 }, { kind: 'hang' });
   */
  injectFaults(...faults: EmulatorFault[]): void {
    faults.forEach(assertValidFault);
    this.queuedFaults.push(...faults);
  }

  /**
   * Applies a fault to every request to the download endpoint until cleared with `undefined`.
   *
   * @example
   * emulator.setFault({ kind: 'status', status: 500 });
   * emulator.setFault(undefined);
   */
  setFault(fault: EmulatorFault | undefined): void {
    if (fault !== undefined) {
      assertValidFault(fault);
    }
    this.persistentFault = fault;
  }

  /** Drops queued faults and the persistent fault. */
  clearFaults(): void {
    this.queuedFaults.length = 0;
    this.queuedWatchFaults.length = 0;
    this.persistentFault = undefined;
  }

  /** Empties the request log. */
  resetRequests(): void {
    this.log.clear();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const raw = req.url ?? '/';
    const queryStart = raw.indexOf('?');
    const path = queryStart === -1 ? raw : raw.slice(0, queryStart);
    const query = new URLSearchParams(queryStart === -1 ? '' : raw.slice(queryStart + 1));
    const credentials = readCredentials(req.headers.authorization);
    const secrets = [...this.store.knownTokens(), ...(credentials.token ? [credentials.token] : [])];
    // Logged at once, before the body arrives, so a test can see a request that is still in flight.
    const entry = this.log.record(
      {
        method: req.method ?? 'GET',
        auth: credentials.scheme,
        tokenKind: presentedTokenKind(credentials.token),
        status: 0,
        at: new Date(this.now()),
      },
      path,
      query,
      secrets,
    );
    readRequestBody(req).then(
      (body) => {
        if ('tooLarge' in body) {
          this.reply(res, entry, dopplerError(413, DOPPLER_MESSAGES.bodyTooLarge));
          return;
        }
        const request: EmulatorRouteRequest = {
          method: entry.method,
          query,
          credentials,
          ifNoneMatch: req.headers['if-none-match'],
          body: body.text,
        };
        this.dispatch(path, request, res, entry);
      },
      () => res.destroy(),
    );
  }

  private dispatch(
    path: string,
    request: EmulatorRouteRequest,
    res: ServerResponse,
    entry: PendingRequest,
  ): void {
    try {
      const { route, allowedMethods } = matchRoute(EMULATOR_ROUTES, request.method, path);
      if (route === undefined) {
        this.reply(
          res,
          entry,
          allowedMethods.length === 0
            ? dopplerError(404, DOPPLER_MESSAGES.routeNotFound)
            : dopplerError(405, DOPPLER_MESSAGES.methodNotAllowed, { allow: allowedMethods.join(', ') }),
        );
        return;
      }
      const fault = route.acceptsFaults ? (this.queuedFaults.shift() ?? this.persistentFault) : undefined;
      if (fault !== undefined) {
        entry.fault = fault.kind;
        entry.status = respondWithFault(fault, res);
        return;
      }
      const watchFault = route === WATCH_ROUTE ? this.queuedWatchFaults.shift() : undefined;
      if (watchFault !== undefined) entry.fault = watchFault.kind;
      if (watchFault?.kind === 'status') {
        entry.status = respondWithFault(watchFault, res);
        return;
      }
      const planned = route.answer(request, { store: this.store, limiter: this.limiter, now: this.now() });
      if (isPlannedStream(planned)) {
        entry.status = 200;
        this.watchers.open(res, planned.stream, watchFault);
        return;
      }
      this.reply(res, entry, planned);
    } catch {
      // The error may quote a header value, so it is not echoed to the client.
      entry.status = 500;
      if (res.headersSent) {
        res.destroy();
      } else {
        sendPlanned(res, dopplerError(500, DOPPLER_MESSAGES.internalError));
      }
    }
  }

  private reply(res: ServerResponse, entry: PendingRequest, planned: PlannedResponse): void {
    entry.status = planned.status;
    sendPlanned(res, planned);
  }
}
