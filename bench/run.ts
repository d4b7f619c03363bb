/**
 * `npm run bench`: runs every section in its own Node process (own heap, JIT state and
 * flags), then writes docs/bench/README.md (tables), docs/bench/results.json (raw) and
 * docs/bench/bench.svg (chart), and prints the ratios.
 *
 *   --quick            few iterations and a scaled-down fleet; writes dist/bench/quick/ instead
 *   --only=a,b         sections (names in SECTIONS below); the others are kept from the results.json being
 *                      replaced (--only= runs none: it renders the kept results again); the lean
 *                      ones (minimal, fresh, keys, get-map) are bench/lean/sections.ts, written to lean.md;
 *                      masking (the engine per character of large texts) is written to masking.md
 *   --scale=a,b        the fleet's runs at scale: api, api-half, fallback, fallback-300, mounted (default all; none: '')
 *   --sample=n         replicas simulated for the fleet at scale (default 1000, 250 with --quick; divides 10,000)
 *   --previous=file    the results to compare section 5 with (default: the results.json being replaced)
 *   --out=dir          where to write (default docs/bench, or dist/bench/quick with --quick)
 *
 * A new section is one entry in SECTIONS (its script, its key in BenchResults and its part of
 * support/report.ts).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { measurePbkdf2 } from './support/charged-pbkdf2.js';
import { progress, runSection, scriptPath } from './support/child.js';
import { machineInfo } from './support/machine.js';
import { ALLOCATION_FLAGS } from './support/measure.js';
import { consoleSummary, renderMarkdown } from './support/report.js';
import type {
  BenchResults,
  FleetResult,
  GetAllocResult,
  GetTimeResult,
  RedactionResult,
  RefreshResultRow,
  ScaleRow,
  StartupResult,
  ValidationAllocResult,
  ValidationMapResult,
  ValidationTimeResult,
} from './support/results.js';
import { median } from './support/stats.js';
import { renderChart } from './support/svg.js';
import { LEAN_SECTIONS, runLeanSections } from './lean/sections.js';
import { MASKING_SECTION, runMaskingSection } from './support/masking-report.js';
import type { WatchFleetRow, WatchLatencyRow, WatchRestRow } from './support/watch-report.js';

type Results = { -readonly [K in keyof BenchResults]: BenchResults[K] };
/** The keys of BenchResults a section fills. */
type SectionKey = Exclude<
  keyof BenchResults,
  'startedAt' | 'finishedAt' | 'command' | 'quick' | 'machine' | 'loadAverageAtEnd' | 'carried'
>;

interface Section {
  /** The name `--only` takes. */
  readonly name: string;
  readonly title: string;
  /** Where its results go in BenchResults (kept from the previous run when the section is not run). */
  readonly key: SectionKey;
  /** Runs the section's processes and stores what they emit; `save` keeps partial results. */
  run(results: Results, save: () => Promise<void>): Promise<void>;
}

const ALL_SCALE = 'api,api-half,fallback,fallback-300,mounted';
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    scale: { type: 'string', default: ALL_SCALE },
    sample: { type: 'string' },
    previous: { type: 'string' },
    out: { type: 'string' },
  },
});
const quick = args.quick;
const outDir = resolve(args.out ?? (quick ? 'dist/bench/quick' : 'docs/bench'));
const script = (name: string): string => scriptPath(`./${name}.js`, import.meta.url);

/**
 * The fleet at scale: 10,000 replicas sharing one token limited to 240 requests a minute,
 * restarting within 10 s. Simulated as a sample with the same replicas per unit of rate limit
 * (--sample: 1,000 at 24 a minute by default, 250 at 6 with --quick) and its counts multiplied
 * up (see fleet-scale.ts).
 * The API rows refresh at the README's interval for that many replicas (N x 60 s / 120: half the
 * budget); `fallback-300` at 300 s, the README's example for a small fleet, to show what happens
 * when a large one keeps it.
 */
const SCALE_TARGET = { replicas: 10_000, rpm: 240 };
function scaleRuns(pbkdf2Ms: number): { name: string; args: string[] }[] {
  const replicas = Number(args.sample ?? (quick ? 250 : 1000));
  const sampleArgs = (n: number): string[] => {
    const factor = SCALE_TARGET.replicas / n;
    if (!Number.isInteger(factor) || !Number.isInteger(SCALE_TARGET.rpm / factor)) {
      throw new Error(
        `--sample: ${n} replicas do not divide ${SCALE_TARGET.replicas} into a whole rate limit`,
      );
    }
    const rpm = SCALE_TARGET.rpm / factor;
    return ['--replicas', String(n), '--rpm', String(rpm), '--represents', String(SCALE_TARGET.replicas)];
  };
  const ruleMs = Math.round((SCALE_TARGET.replicas * 60_000) / (SCALE_TARGET.rpm / 2));
  const sample = sampleArgs(replicas);
  const runs: Record<string, string[]> = {
    api: [...sample, '--mode', 'api', '--interval', String(ruleMs)],
    // The same run from a sample half as large: where it agrees with `api`, multiplying up holds.
    'api-half': [...sampleArgs(replicas / 2), '--mode', 'api', '--interval', String(ruleMs)],
    fallback: [...sample, '--mode', 'fallback', '--interval', String(ruleMs), '--pbkdf2Ms', String(pbkdf2Ms)],
    'fallback-300': [...sample, '--mode', 'fallback', '--interval', '300000', '--pbkdf2Ms', String(pbkdf2Ms)],
    mounted: [...sample, '--mode', 'mounted'],
  };
  return args.scale
    .split(',')
    .filter((name) => name !== '')
    .map((name) => {
      const run = runs[name];
      if (run === undefined) throw new Error(`--scale: unknown run ${name} (${ALL_SCALE})`);
      return { name, args: run };
    });
}

/** Keeps what finished, so a section that fails late does not lose the others (dist/, never docs/). */
async function savePartial(results: unknown): Promise<void> {
  const dir = resolve('dist/bench');
  await mkdir(dir, { recursive: true });
  await writeFile(resolve(dir, 'partial-results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

const SECTIONS: readonly Section[] = [
  {
    name: 'startup',
    title: 'start-up',
    key: 'startup',
    async run(results) {
      results.startup = await runSection<StartupResult>(
        script('startup'),
        ['--expose-gc'],
        quick
          ? ['--rounds', '16', '--warmup', '4', '--cold', '2']
          : ['--rounds', '200', '--warmup', '30', '--cold', '15'],
      );
    },
  },
  {
    name: 'get',
    title: 'get() throughput and allocation',
    key: 'get',
    async run(results) {
      const time = await runSection<GetTimeResult>(
        script('get-throughput'),
        [],
        quick
          ? ['--mode', 'time', '--calls', '2000000', '--trials', '3']
          : ['--mode', 'time', '--calls', '20000000', '--trials', '9'],
      );
      const alloc = await runSection<GetAllocResult>(script('get-throughput'), ALLOCATION_FLAGS, [
        '--mode',
        'alloc',
      ]);
      results.get = { time, alloc };
    },
  },
  {
    name: 'validation',
    title: 'validation by key count',
    key: 'validation',
    async run(results) {
      const rows = [];
      for (const keys of quick ? [10, 100, 1000] : [10, 100, 1000, 10000]) {
        const budget = quick ? '400' : '4000';
        const time = await runSection<ValidationTimeResult>(
          script('validation'),
          ['--expose-gc'],
          ['--keys', String(keys), '--mode', 'time', '--budgetMs', budget],
        );
        const alloc = await runSection<ValidationAllocResult>(script('validation'), ALLOCATION_FLAGS, [
          '--keys',
          String(keys),
          '--mode',
          'alloc',
        ]);
        const mapContainer = await runSection<ValidationMapResult>(
          script('validation'),
          ['--expose-gc'],
          ['--keys', String(keys), '--mode', 'time-map', '--budgetMs', String(Number(budget) / 2)],
        );
        rows.push({ time, alloc, mapContainer });
      }
      results.validation = rows;
    },
  },
  {
    name: 'refresh',
    title: 'refresh cycle',
    key: 'refresh',
    async run(results) {
      const rows: RefreshResultRow[] = [];
      for (const keys of [12, 1000]) {
        rows.push(
          await runSection<RefreshResultRow>(
            script('refresh-cycle'),
            [],
            ['--keys', String(keys), '--cycles', quick ? '15' : '150'],
          ),
        );
      }
      results.refresh = rows;
    },
  },
  {
    name: 'fleet',
    title: 'fleet simulation',
    key: 'fleet',
    async run(results) {
      const fleet = await runSection<FleetResult>(
        script('fleet'),
        [],
        quick ? ['--replicas', '250', '--rpm', '60', '--outageReplicas', '50', '--refreshMinutes', '20'] : [],
      );
      results.fleet = fleet;
    },
  },
  {
    name: 'scale',
    title: 'the fleet at scale',
    key: 'scale',
    async run(results, save) {
      // The fleet section's PBKDF2 measurement when it ran (or was kept), else one of its own.
      const pbkdf2ChargeMs =
        results.fleet?.pbkdf2?.chargeMs ??
        results.fleet?.fallbackReadMs ??
        median((await measurePbkdf2()).cpuMs);
      const rows: ScaleRow[] = [];
      for (const run of scaleRuns(pbkdf2ChargeMs)) {
        progress(`fleet at scale, ${run.name}`);
        rows.push(await runSection<ScaleRow>(script('fleet-scale'), ['--max-old-space-size=4096'], run.args));
        results.scale = { pbkdf2ChargeMs, rows };
        await save();
      }
    },
  },
  {
    name: 'redaction',
    title: 'redaction',
    key: 'redaction',
    async run(results) {
      results.redaction = await runSection<RedactionResult>(
        script('redaction'),
        ['--expose-gc'],
        quick ? ['--budgetMs', '200', '--builds', '3'] : ['--budgetMs', '1500', '--builds', '9'],
      );
    },
  },
  {
    // Issue 13: edit-to-served latency per channel, requests at rest, and 1,000 replicas on one
    // token reacting to one secrets.update (--quick: 250 replicas at a quarter of the rate).
    name: 'watch',
    title: 'push, not poll: watch stream, webhook, polling',
    key: 'watch',
    async run(results) {
      const latency: WatchLatencyRow[] = [];
      for (const channel of ['watch', 'webhook', 'poll']) {
        latency.push(
          await runSection<WatchLatencyRow>(
            script('watch'),
            [],
            ['--mode', 'latency', '--channel', channel, '--edits', quick ? '8' : '60', '--interval', '1000'],
          ),
        );
      }
      const rest: WatchRestRow[] = [];
      for (const [channel, interval] of [
        ['watch', undefined],
        ['poll', '60000'],
        ['poll', '300000'],
        ['webhook', undefined],
      ] as const) {
        rest.push(
          await runSection<WatchRestRow>(
            script('watch'),
            [],
            [
              ...['--mode', 'rest', '--channel', channel, '--replicas', '10', '--hours', quick ? '2' : '24'],
              ...(interval !== undefined ? ['--interval', interval] : []),
            ],
          ),
        );
      }
      const fleet: WatchFleetRow[] = [];
      for (const interval of ['300000', '500000', '3600000']) {
        progress(`watch fleet, safety net ${Number(interval) / 1000} s`);
        fleet.push(
          await runSection<WatchFleetRow>(
            script('watch'),
            ['--max-old-space-size=4096'],
            [
              ...['--mode', 'fleet', '--interval', interval],
              ...(quick ? ['--replicas', '250', '--rpm', '60'] : ['--replicas', '1000', '--rpm', '240']),
            ],
          ),
        );
      }
      results.watch = { latency, rest, fleet };
    },
  },
];

const ALL_SECTIONS = [...SECTIONS.map((section) => section.name), ...LEAN_SECTIONS, MASKING_SECTION];
// `--only=` (none) runs nothing: it renders docs/bench again from the results it keeps.
const only = new Set(args.only?.split(',').filter((name) => name !== '') ?? ALL_SECTIONS);
for (const name of only) {
  if (!ALL_SECTIONS.includes(name))
    throw new Error(`--only: unknown section ${name} (${ALL_SECTIONS.join(', ')})`);
}
const flags = [
  ...(quick ? ['--quick'] : []),
  ...(args.only !== undefined ? [`--only=${args.only}`] : []),
  ...(args.scale !== ALL_SCALE ? [`--scale=${args.scale}`] : []),
  ...(args.sample !== undefined ? [`--sample=${args.sample}`] : []),
];
const command = `npm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  process.stderr.write(
    `bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadAverage.join('/')}\n`,
  );
  // The results this run replaces: the report says which numbers moved, and a section not run
  // this time is kept from them (and named as such), so `--only` does not empty docs/bench.
  const read = (path: string): Promise<BenchResults | undefined> =>
    readFile(path, 'utf8').then(
      (text) => JSON.parse(text) as BenchResults,
      () => undefined,
    );
  const previous = await read(resolve(outDir, 'results.json'));
  const baseline = args.previous !== undefined ? await read(resolve(args.previous)) : previous;
  const results: Results = { startedAt, finishedAt: '', command, quick, machine, loadAverageAtEnd: [] };
  const save = (): Promise<void> => savePartial(results);

  const carried: NonNullable<BenchResults['carried']>[number][] = [];
  for (const [index, section] of SECTIONS.entries()) {
    if (!only.has(section.name)) {
      const kept = previous?.[section.key];
      if (previous !== undefined && kept !== undefined) {
        // Runs at scale were once part of `fleet`; they are section `scale` now.
        if (section.key === 'fleet') delete (kept as { scale?: unknown }).scale;
        (results as Record<SectionKey, unknown>)[section.key] = kept;
        const from = previous.carried?.find((c) => c.section === section.name);
        carried.push(
          from ?? { section: section.name, command: previous.command, startedAt: previous.startedAt },
        );
      }
      continue;
    }
    progress(`section ${index + 1}: ${section.title}`);
    await section.run(results, save);
    await save();
  }
  if (carried.length > 0) results.carried = carried;
  await runLeanSections({ quick, only, outDir, command });
  if (only.has(MASKING_SECTION)) await runMaskingSection({ quick, outDir, command });

  results.finishedAt = new Date().toISOString();
  results.loadAverageAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  await mkdir(outDir, { recursive: true });
  await writeFile(resolve(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(
    resolve(outDir, 'README.md'),
    renderMarkdown(results, only.has('fleet') || args.previous !== undefined ? baseline : undefined),
  );
  await writeFile(resolve(outDir, 'bench.svg'), renderChart(results));
  process.stdout.write(consoleSummary(results));
  process.stdout.write(`wrote ${outDir}/README.md, results.json, bench.svg\n`);
}

await main();
