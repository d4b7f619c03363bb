/**
 * Start-up at the cost of the fetch: a bare `createApplicationContext` with one module and
 * three keys against the stand-in (another process), the variants interleaved in one process
 * in an order drawn afresh each round (a seeded shuffle), each run after dropping pooled sockets
 * and a gc(). Public entry points only. Variants:
 *   bare    an empty module (the floor)
 *   module  DopplerModule.forRoot({ token, apiUrl, schema })
 *   moduleAgain  the same, a second identical variant: `moduleAgain / module` is the method's own
 *               error (what two runs of one code differ by), to read the other ratios against
 *   hand    a factory provider: one axios GET, plainToInstance, validate (the baseline)
 *   sdk     a factory provider: @dopplerhq/node-sdk's download, plainToInstance, validate
 *   full    DopplerModule.forRoot with refresh and webhook, and an @OnSecretsChange handler
 *   handOne     the hand-rolled factory as the one provider of a dynamic module of its own: what
 *               any Nest module that provides the secrets costs over a provider in the app's module
 *   handShaped  the hand-rolled factory in a dynamic module with DopplerModule.forRoot's providers:
 *               a value, the fetching factory, an exported handler factory whose instance has the
 *               three lifecycle hooks; `module / handShaped` is then the module's own work over the fetch
 */
import 'reflect-metadata';
import { globalAgent } from 'node:http';
import { parseArgs } from 'node:util';
import {
  Injectable,
  Module,
  type DynamicModule,
  type ModuleMetadata,
  type Provider,
  type Type,
} from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import DopplerSDK from '@dopplerhq/node-sdk';
import axios from 'axios';
import { DopplerModule, OnSecretsChange, SecretsService } from 'nestjs-doppler';
import {
  bootstrap,
  emitResult,
  LEAN_TOKEN,
  leanSeed,
  median,
  progress,
  quantile,
  seededShuffler,
  startStandIn,
} from './harness.js';
import { handRolled, MINIMAL_VALUES, MinimalSecrets, withSdk } from './minimal-app.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '400' },
    warmup: { type: 'string', default: '60' },
    // A subset, e.g. `--variants module` under `node --cpu-prof` to profile one boot path.
    variants: { type: 'string', default: 'bare,module,hand,sdk,full,handOne,handShaped,moduleAgain' },
  },
});
const ROUNDS = Number(args.rounds);
const WARMUP = Number(args.warmup);

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const HAND = Symbol('hand-rolled secrets');
const SDK = Symbol('sdk secrets');

function rootModule(imports: DynamicModule[], providers: ModuleMetadata['providers'] = []): Type<unknown> {
  @Module({ imports, providers })
  class Root {}
  return Root;
}

/**
 * The hand-rolled fetch in a dynamic module. `shaped`: with the providers DopplerModule.forRoot()
 * registers, the same kinds (value or factory), injections, exports and lifecycle hooks, doing
 * nothing but the fetch; otherwise the fetch is the module's one provider.
 */
function handInModule(apiUrl: string, shaped: boolean): DynamicModule {
  @Module({})
  class HandModule {}
  const DEPS = Symbol('deps');
  const HANDLER = Symbol('handler');
  const fetching: Provider = {
    provide: HAND,
    useFactory: () => handRolled(axios, apiUrl),
    inject: shaped ? [DEPS, ModulesContainer] : [],
  };
  if (!shaped) return { module: HandModule, providers: [fetching], exports: [HAND] };
  return {
    module: HandModule,
    providers: [
      { provide: DEPS, useValue: Object.freeze({}) },
      fetching,
      {
        // The exported handler, which also carries the lifecycle hooks.
        provide: HANDLER,
        useFactory: () => ({
          onApplicationBootstrap: () => undefined,
          onModuleDestroy: () => Promise.resolve(),
          onApplicationShutdown: () => Promise.resolve(),
        }),
        inject: [HAND, ModulesContainer],
      },
    ],
    exports: [HAND, HANDLER],
  };
}

@Injectable()
class RotatingClient {
  rotations = 0;
  @OnSecretsChange('API_KEY')
  rotate(): void {
    this.rotations++;
  }
}

const ALL_IDS = ['bare', 'module', 'hand', 'sdk', 'full', 'handOne', 'handShaped', 'moduleAgain'] as const;
type Id = (typeof ALL_IDS)[number];
const IDS: readonly Id[] = ALL_IDS.filter((id) => args.variants.split(',').includes(id));
const LABELS: Record<Id, string> = {
  bare: 'bare context (floor)',
  module: 'DopplerModule.forRoot',
  hand: 'hand-rolled provider (baseline)',
  sdk: 'official Node SDK (@dopplerhq/node-sdk)',
  full: 'DopplerModule.forRoot with refresh, webhook and an @OnSecretsChange handler',
  handOne: 'hand-rolled provider, the one provider of a dynamic module',
  handShaped: "hand-rolled provider in a dynamic module with DopplerModule.forRoot's providers",
  moduleAgain: 'DopplerModule.forRoot again (a second, identical variant)',
};

function modules(apiUrl: string): Record<Id, Type<unknown>> {
  const options = { token: LEAN_TOKEN, apiUrl, schema: MinimalSecrets };
  return {
    bare: rootModule([]),
    module: rootModule([DopplerModule.forRoot(options)]),
    hand: rootModule([], [{ provide: HAND, useFactory: () => handRolled(axios, apiUrl) }]),
    sdk: rootModule([], [{ provide: SDK, useFactory: () => withSdk(DopplerSDK, apiUrl) }]),
    full: rootModule(
      [
        DopplerModule.forRoot({
          ...options,
          refresh: { interval: 300_000 },
          webhook: { secret: 'lean-webhook-secret-0123456789abcdef' },
        }),
      ],
      [RotatingClient],
    ),
    handOne: rootModule([handInModule(apiUrl, false)]),
    handShaped: rootModule([handInModule(apiUrl, true)]),
    moduleAgain: rootModule([DopplerModule.forRoot(options)]),
  };
}

interface Run {
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function timeOne(module: Type<unknown>): Promise<Run> {
  globalAgent.destroy(); // a fresh process has no pooled connection
  gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const app = await NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await app.close();
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Every variant really fetched and validated, once, before anything is timed. */
async function sanity(all: Record<Id, Type<unknown>>): Promise<void> {
  for (const id of IDS) {
    const app = await NestFactory.createApplicationContext(all[id], { logger: false, abortOnError: false });
    const port =
      id === 'module' || id === 'full' || id === 'moduleAgain'
        ? app
            .get(SecretsService<MinimalSecrets>)
            .get('PORT')
            .reveal()
        : id === 'hand' || id === 'handOne' || id === 'handShaped'
          ? app.get<MinimalSecrets>(HAND).PORT
          : id === 'sdk'
            ? app.get<MinimalSecrets>(SDK).PORT
            : 3000;
    if (port !== 3000) throw new Error(`${id} did not load PORT`);
    await app.close();
  }
}

/** The largest share of one variant's timed runs that followed one same variant (1/n is even). */
function worstPredecessorShare(orders: readonly Id[][]): number {
  const counts = new Map<string, number>();
  const runs = new Map<Id, number>();
  for (let round = 1; round < orders.length; round++) {
    let previous = orders[round - 1].at(-1)!;
    for (const id of orders[round]) {
      counts.set(`${previous}>${id}`, (counts.get(`${previous}>${id}`) ?? 0) + 1);
      runs.set(id, (runs.get(id) ?? 0) + 1);
      previous = id;
    }
  }
  let worst = 0;
  for (const [pair, n] of counts) worst = Math.max(worst, n / runs.get(pair.split('>')[1] as Id)!);
  return worst;
}

async function main(): Promise<void> {
  const standIn = await startStandIn(leanSeed(MINIMAL_VALUES));
  const all = modules(standIn.url);
  await sanity(all);
  const rows: Record<Id, Run>[] = [];
  // Each round's order is drawn afresh (the same orders on a rerun). What ran just before a boot
  // shapes it (the code and data left in the caches), so every variant must follow every other
  // about equally often: the rotation used before put `module` after `bare`, which makes no
  // request, in 43 % of its runs and `hand` after variants that do. How far two identical
  // variants still come apart is the `moduleAgain` row.
  const nextOrder = seededShuffler(IDS, 20261202);
  const orders: Id[][] = [];
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const row = {} as Record<Id, Run>;
    const order = nextOrder();
    for (const id of order) row[id] = await timeOne(all[id]);
    if (round >= WARMUP) rows.push(row);
    if (round >= WARMUP) orders.push(order);
    if ((round + 1) % 100 === 0) progress(`minimal start-up: round ${round + 1}/${WARMUP + ROUNDS}`);
  }
  await standIn.stop();
  const col = (id: Id, k: keyof Run): number[] => rows.map((r) => r[id][k]);
  if (IDS.length < ALL_IDS.length) {
    for (const id of IDS)
      progress(
        `${id}: ${median(col(id, 'wallMs')).toFixed(3)} ms wall, ${median(col(id, 'cpuMs')).toFixed(3)} ms CPU`,
      );
    return;
  }

  const totals = (x: Id, y: Id, k: keyof Run) => (sample: readonly Record<Id, Run>[]) =>
    median(sample.map((r) => r[x][k])) / median(sample.map((r) => r[y][k]));
  const added = (x: Id, y: Id) => (sample: readonly Record<Id, Run>[]) =>
    median(sample.map((r) => r[x].wallMs - r.bare.wallMs)) /
    median(sample.map((r) => r[y].wallMs - r.bare.wallMs));
  const ratio = (f: (s: readonly Record<Id, Run>[]) => number) => ({
    value: f(rows),
    ci95: bootstrap(rows, f),
  });

  emitResult({
    rounds: ROUNDS,
    warmup: WARMUP,
    keys: Object.keys(MINIMAL_VALUES).length,
    worstPredecessorShare: worstPredecessorShare(orders),
    variants: IDS.map((id) => ({
      id,
      label: LABELS[id],
      medianMs: median(col(id, 'wallMs')),
      p25Ms: quantile(col(id, 'wallMs'), 0.25),
      p75Ms: quantile(col(id, 'wallMs'), 0.75),
      medianCpuMs: median(col(id, 'cpuMs')),
    })),
    ratios: {
      moduleOverHand: ratio(totals('module', 'hand', 'wallMs')),
      moduleOverHandCpu: ratio(totals('module', 'hand', 'cpuMs')),
      sdkOverHand: ratio(totals('sdk', 'hand', 'wallMs')),
      fullOverHand: ratio(totals('full', 'hand', 'wallMs')),
      fullOverModule: ratio(totals('full', 'module', 'wallMs')),
      addedModuleOverHand: ratio(added('module', 'hand')),
      handOneOverHand: ratio(totals('handOne', 'hand', 'wallMs')),
      handShapedOverHand: ratio(totals('handShaped', 'hand', 'wallMs')),
      moduleOverHandShaped: ratio(totals('module', 'handShaped', 'wallMs')),
      moduleOverHandShapedCpu: ratio(totals('module', 'handShaped', 'cpuMs')),
      moduleAgainOverModule: ratio(totals('moduleAgain', 'module', 'wallMs')),
      moduleAgainOverModuleCpu: ratio(totals('moduleAgain', 'module', 'cpuMs')),
    },
  });
}

await main();
