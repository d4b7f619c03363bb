import { ConsoleLogger, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsString, MinLength } from 'class-validator';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DopplerModule, SecretsService, type DopplerModuleOptions } from 'nestjs-doppler';
import { DopplerEmulator, mintOidcToken } from 'nestjs-doppler/testing';
import { bootstrapSecrets } from '../lib/load-doppler-secrets.js';
import { OutputCapture } from './support/capture-output.js';
import { everythingShown } from './support/everything-shown.js';

const AUDIENCE = 'https://doppler.shop.test';
const SUBJECT = 'system:serviceaccount:shop:api';
const VALUE = 'CANARY-oidc-value-0b7d';

class Secrets {
  @IsString()
  @MinLength(8)
  API_KEY!: string;
}

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwtFor = (claims: Record<string, unknown> = {}) =>
  mintOidcToken({ audience: AUDIENCE, subject: SUBJECT, privateKey: keys.privateKey, claims });

/** Every 16-character window of `secret` (step 8): a leak of any sizeable piece of it is caught. */
function pieces(secret: string): string[] {
  const out = [secret];
  for (let i = 0; i + 16 <= secret.length; i += 8) out.push(secret.slice(i, i + 16));
  return out;
}

/** The credentials of a JWT: its claims and signature (its header is public). */
function jwtPieces(jwt: string): string[] {
  const [, payload = '', signature = ''] = jwt.split('.');
  return [jwt, ...pieces(payload), ...pieces(signature)];
}

function leaked(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((piece) => text.includes(piece));
}

describe('workload identity in a Nest app, against the emulator', () => {
  const emulator = new DopplerEmulator({
    projects: { shop: { configs: { prd: { secrets: { API_KEY: VALUE } } } } },
    identities: [
      {
        id: 'pod',
        project: 'shop',
        config: 'prd',
        audience: AUDIENCE,
        subject: SUBJECT,
        publicKey: keys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      },
    ],
  });
  let apiUrl = '';
  let dir = '';
  let app: INestApplication | undefined;

  beforeAll(async () => {
    apiUrl = await emulator.start();
    dir = await mkdtemp(join(tmpdir(), 'doppler-oidc-e2e-'));
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(options: DopplerModuleOptions): Promise<SecretsService<Secrets>> {
    @Module({ imports: [DopplerModule.forRoot(options)] })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.init();
    return app.get<SecretsService<Secrets>>(SecretsService);
  }

  it('boots with oidc.tokenFile (a projected service-account token) and revokes the token on close', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${jwtFor()}\n`);
    const secrets = await start({
      oidc: { identity: 'pod', tokenFile },
      project: 'shop',
      config: 'prd',
      apiUrl,
      schema: Secrets,
    });
    expect(secrets.get('API_KEY').reveal()).toBe(VALUE);
    expect(emulator.identityTokens.at(-1)).toMatchObject({ identity: 'pod', project: 'shop', config: 'prd' });
    expect(emulator.identityTokens.at(-1)?.revokedAt).toBeUndefined();
    await app?.close();
    app = undefined;
    expect(emulator.identityTokens.at(-1)?.revokedAt).toBeInstanceOf(Date);
  });

  it('boots with oidc.getToken from forRootAsync', async () => {
    let asked = 0;
    @Module({
      imports: [
        DopplerModule.forRootAsync({
          useFactory: () => ({
            oidc: { identity: 'pod', getToken: () => Promise.resolve((asked++, jwtFor())) },
            project: 'shop',
            config: 'prd',
            apiUrl,
            schema: Secrets,
          }),
        }),
      ],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.init();
    expect(app.get<SecretsService<Secrets>>(SecretsService).get('API_KEY').reveal()).toBe(VALUE);
    expect(asked).toBe(1);
  });

  it('refuses oidc beside a token, or without project and config, before any request', async () => {
    emulator.resetRequests();
    const oidc = { identity: 'pod', getToken: () => jwtFor() };
    await expect(
      start({ oidc, token: 'dp.st.dev.x', project: 'shop', config: 'prd', apiUrl }),
    ).rejects.toMatchObject({
      code: 'DOPPLER_INVALID_OPTIONS',
      message: expect.stringMatching(/either the oidc option or token, not both/),
    });
    await expect(start({ oidc, project: 'shop', apiUrl })).rejects.toThrow(
      /needs explicit project and config options; config is missing/,
    );
    await expect(
      start({
        oidc: { identity: 'pod', getToken: () => jwtFor(), extra: 1 } as never,
        project: 'shop',
        config: 'prd',
        apiUrl,
      }),
    ).rejects.toThrow(/extra/);
    expect(emulator.requests).toEqual([]);
  });
});

/** How the hostile server answers each call, chosen per run. */
interface Behaviour {
  readonly jwtMode: 'ok' | 'throws-with-jwt' | 'bearer-prefixed';
  readonly exchange: 'ok' | 400 | 401 | 403 | 404 | 500 | 'malformed-expiry' | 'wrong-kind' | 'cut-json';
  readonly download: 'ok' | 401 | 403 | 500;
  readonly refresh: 'ok' | 401;
  readonly revoke: 200 | 400 | 500;
}

/**
 * A Doppler that echoes every credential it is sent (the request body, the Authorization
 * header) in its messages, headers and error pages, and issues the `dp.said.` token it is told to.
 */
async function startEchoingDoppler(): Promise<{
  url: string;
  set(behaviour: Behaviour, issued: string): void;
  close(): Promise<void>;
}> {
  let behaviour: Behaviour | undefined;
  let issued = '';
  let downloads = 0;
  const sockets = new Set<Socket>();
  const json = (res: ServerResponse, status: number, body: unknown, echo: string) =>
    res
      .writeHead(status, { 'content-type': 'application/json', 'x-echo': encodeURIComponent(echo) })
      .end(JSON.stringify(body));
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const echo = `${body} ${req.headers.authorization ?? ''}`;
      const b = behaviour!;
      const path = (req.url ?? '').split('?')[0];
      const refuse = (status: number) =>
        json(res, status, { success: false, messages: [`refused: ${echo}`] }, echo);
      if (path === '/v3/auth/oidc') {
        const expires = new Date(Date.now() + 3_600_000).toISOString();
        switch (b.exchange) {
          case 'ok':
            return json(res, 200, { success: true, token: issued, expires_at: expires }, '');
          case 'malformed-expiry':
            return json(res, 200, { success: true, token: issued, expires_at: `soon ${echo}` }, echo);
          case 'wrong-kind':
            return json(
              res,
              200,
              { success: true, token: issued.replace('dp.said.', 'dp.sa.'), expires_at: expires },
              echo,
            );
          case 'cut-json':
            return res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(JSON.stringify({ token: issued, echo }).slice(0, -3));
          case 500:
            return res.writeHead(500, { 'content-type': 'text/html' }).end(`<pre>${echo} ${issued}</pre>`);
          default:
            return refuse(b.exchange);
        }
      }
      if (path === '/v3/auth/revoke') {
        return b.revoke === 200 ? json(res, 200, {}, '') : refuse(b.revoke);
      }
      if (path === '/v3/configs/config/secrets/download') {
        const answer = downloads++ === 0 ? b.download : b.refresh;
        if (answer === 'ok' && req.headers.authorization === `Bearer ${issued}`) {
          return json(res, 200, { API_KEY: VALUE, DOPPLER_PROJECT: 'shop', DOPPLER_CONFIG: 'prd' }, '');
        }
        return answer === 500
          ? res.writeHead(500, { 'content-type': 'text/plain' }).end(`boom ${echo}`)
          : refuse(answer === 'ok' ? 401 : answer);
      }
      refuse(404);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set(next, token) {
      behaviour = next;
      issued = token;
      downloads = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

const behaviours: fc.Arbitrary<Behaviour> = fc.record({
  jwtMode: fc.constantFrom<Behaviour['jwtMode']>('ok', 'ok', 'throws-with-jwt', 'bearer-prefixed'),
  exchange: fc.constantFrom<Behaviour['exchange']>(
    'ok',
    'ok',
    'ok',
    400,
    401,
    403,
    404,
    500,
    'malformed-expiry',
    'wrong-kind',
    'cut-json',
  ),
  download: fc.constantFrom<Behaviour['download']>('ok', 'ok', 401, 403, 500),
  refresh: fc.constantFrom<Behaviour['refresh']>('ok', 401),
  revoke: fc.constantFrom<Behaviour['revoke']>(200, 400, 500),
});
const tokenSuffix = fc.stringMatching(/^[A-Za-z0-9_-]{24,64}$/);

describe('canaries: neither the platform JWT nor the dp.said. token is ever shown', () => {
  let doppler: Awaited<ReturnType<typeof startEchoingDoppler>>;
  beforeAll(async () => {
    doppler = await startEchoingDoppler();
  });
  afterAll(() => doppler.close());

  it('in any thrown error, log line, status or util.inspect, whatever the server echoes', async () => {
    await fc.assert(
      fc.asyncProperty(
        behaviours,
        tokenSuffix,
        fc.string({ minLength: 8, maxLength: 40 }),
        async (b, suffix, claim) => {
          const jwt = jwtFor({ canary: claim, jti: suffix });
          const issued = `dp.said.${suffix}`;
          doppler.set(b, issued);
          const lines: string[] = [];
          const logger = {
            log: (m: string) => lines.push(m),
            warn: (m: string) => lines.push(m),
            error: (m: string) => lines.push(m),
          };
          const getToken = (): string => {
            if (b.jwtMode === 'throws-with-jwt') throw new Error(`token endpoint said no to ${jwt}`);
            return b.jwtMode === 'bearer-prefixed' ? `Bearer ${jwt}` : jwt;
          };
          const shown: string[] = [];
          try {
            const { service } = await bootstrapSecrets<Secrets>(
              {
                oidc: { identity: 'pod', getToken },
                project: 'shop',
                config: 'prd',
                apiUrl: doppler.url,
                schema: Secrets,
                retries: 0,
                deadline: 3000,
              },
              { logger: logger as never },
            );
            shown.push(inspect(service, { showHidden: true, depth: 10 }), JSON.stringify(service.status));
            const result = await service.refresh();
            shown.push(JSON.stringify(result), inspect(service.status), JSON.stringify(service.metadata));
            await service.close();
          } catch (error: unknown) {
            shown.push(everythingShown(error));
          }
          const text = [...shown, ...lines].join('\n');
          expect(leaked(text, [...jwtPieces(jwt), ...pieces(issued), VALUE])).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('in the output and util.inspect of a Nest app that boots, refreshes into a 401 and shuts down', async () => {
    const suffix = 'CanaryIssuedToken_0123456789abcdef';
    const issued = `dp.said.${suffix}`;
    const jwt = jwtFor({ canary: 'nest-app' });
    doppler.set({ jwtMode: 'ok', exchange: 'ok', download: 'ok', refresh: 401, revoke: 500 }, issued);
    const capture = new OutputCapture().start();
    let app: INestApplication | undefined;
    try {
      @Module({
        imports: [
          DopplerModule.forRoot({
            oidc: { identity: 'pod', getToken: () => jwt },
            project: 'shop',
            config: 'prd',
            apiUrl: doppler.url,
            schema: Secrets,
          }),
        ],
      })
      class AppModule {}
      app = await NestFactory.create(AppModule, {
        logger: new ConsoleLogger({ colors: false }),
        abortOnError: false,
      });
      await app.init();
      const secrets = app.get<SecretsService<Secrets>>(SecretsService);
      expect(secrets.get('API_KEY').reveal()).toBe(VALUE);
      expect(await secrets.refresh()).toMatchObject({ kind: 'failed', code: 'DOPPLER_UNAUTHORIZED' });
      capture.record(inspect(app, { showHidden: true, depth: 6 }));
      capture.record(inspect(secrets.status));
      await app.close();
      app = undefined;
    } finally {
      await app?.close();
      capture.stop();
    }
    expect(capture.text).toContain('Could not revoke the Doppler token');
    expect(leaked(capture.text, [...jwtPieces(jwt), ...pieces(issued), VALUE])).toEqual([]);
  });
});
