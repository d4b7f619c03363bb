/**
 * What a pod pays: fresh Node processes, each starting a Nest app with one module and three keys
 * against the stand-in (fresh-boot.ts), from the process's start to the app being ready. The
 * in-process minimal section times warm boots, which leaves out loading the package and the first
 * run of its code. Each round starts one process per variant, in an order drawn afresh.
 *
 * usage: node fresh-start.js [--rounds 30]
 */
import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import {
  bootstrap,
  emitResult,
  leanSeed,
  median,
  progress,
  RESULT_PREFIX,
  scriptPath,
  startStandIn,
} from './harness.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '30' } } });
const ROUNDS = Number(args.rounds);

const VALUES = {
  DATABASE_URL: 'postgres://app:pw-0f3c9a@db.internal:5432/shop',
  PORT: '3000',
  API_KEY: 'pk_live_0123456789abcdef0123',
};

const IDS = ['module', 'hand', 'sdk'] as const;
type Id = (typeof IDS)[number];
const LABELS: Record<Id, string> = {
  module: 'DopplerModule.forRoot',
  hand: 'hand-rolled provider (baseline)',
  sdk: 'official Node SDK (@dopplerhq/node-sdk)',
};

interface Start {
  readonly totalMs: number;
  readonly bootMs: number;
}

function startOne(id: Id, apiUrl: string): Promise<Start> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [scriptPath('./fresh-boot.js', import.meta.url), id, apiUrl],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout) => {
        const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
        if (error !== null || line === undefined) return reject(error ?? new Error(`${id}: no result`));
        resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as Start);
      },
    );
  });
}

let seed = 20261202;
const random = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
function shuffled(): Id[] {
  const order = [...IDS];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

const standIn = await startStandIn(leanSeed(VALUES));
const rows: Record<Id, Start>[] = [];
try {
  await startOne('module', standIn.url); // the file system's cache, as a pod's image would have it
  for (let round = 0; round < ROUNDS; round++) {
    const row = {} as Record<Id, Start>;
    for (const id of shuffled()) row[id] = await startOne(id, standIn.url);
    rows.push(row);
    if ((round + 1) % 10 === 0) progress(`fresh start: round ${round + 1}/${ROUNDS}`);
  }
} finally {
  await standIn.stop();
}

const ratio = (x: Id, y: Id, k: keyof Start) => {
  const f = (sample: readonly Record<Id, Start>[]) =>
    median(sample.map((r) => r[x][k])) / median(sample.map((r) => r[y][k]));
  return { value: f(rows), ci95: bootstrap(rows, f) };
};
emitResult({
  rounds: ROUNDS,
  variants: IDS.map((id) => ({
    id,
    label: LABELS[id],
    totalMs: median(rows.map((r) => r[id].totalMs)),
    bootMs: median(rows.map((r) => r[id].bootMs)),
  })),
  ratios: {
    moduleOverHandTotal: ratio('module', 'hand', 'totalMs'),
    moduleOverHandBoot: ratio('module', 'hand', 'bootMs'),
    sdkOverHandTotal: ratio('sdk', 'hand', 'totalMs'),
  },
});
