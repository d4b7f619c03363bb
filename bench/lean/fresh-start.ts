/**
 * What a pod pays: fresh Node processes, each starting a Nest app with one module and three keys
 * against the stand-in (fresh-boot.ts), from the process's start to the app being ready. The
 * in-process minimal section times warm boots, which leaves out loading the package and the first
 * run of its code. Each round starts one process per variant, in an order drawn afresh.
 *
 * usage: node fresh-start.js [--rounds 30]
 */
import { parseArgs } from 'node:util';
import {
  bootstrap,
  emitResult,
  leanSeed,
  median,
  progress,
  runScript,
  seededShuffler,
  startStandIn,
} from './harness.js';
import { MINIMAL_VALUES } from './minimal-app.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '30' } } });
const ROUNDS = Number(args.rounds);

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

/** One fresh process's start (fresh-boot.ts); a start that outlasts a minute is a failure. */
function startOne(id: Id, apiUrl: string): Promise<Start> {
  return runScript<Start>('fresh-boot', [], [id, apiUrl], 60_000);
}

const shuffled = seededShuffler(IDS, 20261202);

const standIn = await startStandIn(leanSeed(MINIMAL_VALUES));
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
