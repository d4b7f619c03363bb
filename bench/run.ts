/**
 * `npm run bench`: runs every section in its own Node process (own heap, JIT state and
 * flags), then writes docs/bench/README.md (tables), docs/bench/results.json (raw) and
 * docs/bench/bench.svg (chart), and prints the ratios.
 *
 *   --quick            few iterations and a 1/4-scale fleet; writes dist/bench/quick/ instead
 *   --only=a,b         sections: startup, get, validation, refresh, fleet, redaction, and the lean
 *                      ones (minimal, keys, get-map: bench/lean/sections.ts, written to lean.md)
 *   --out=dir          where to write (default docs/bench, or dist/bench/quick with --quick)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
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
  StartupResult,
  ValidationAllocResult,
  ValidationMapResult,
  ValidationTimeResult,
} from './support/results.js';
import { renderChart } from './support/svg.js';
import { LEAN_SECTIONS, runLeanSections } from './lean/sections.js';

const ALL_SECTIONS = ['startup,get,validation,refresh,fleet,redaction', ...LEAN_SECTIONS].join(',');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: ALL_SECTIONS },
    out: { type: 'string' },
  },
});
const quick = args.quick;
const only = new Set(args.only.split(','));
const outDir = resolve(args.out ?? (quick ? 'dist/bench/quick' : 'docs/bench'));
const script = (name: string): string => scriptPath(`./${name}.js`, import.meta.url);
const command = `npm run bench${quick ? ' -- --quick' : ''}${args.only !== ALL_SECTIONS ? ` -- --only=${args.only}` : ''}`;

/** Keeps what finished, so a section that fails late does not lose the others (dist/, never docs/). */
async function savePartial(results: unknown): Promise<void> {
  const dir = resolve('dist/bench');
  await mkdir(dir, { recursive: true });
  await writeFile(resolve(dir, 'partial-results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  process.stderr.write(
    `bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadAverage.join('/')}\n`,
  );
  const results: { -readonly [K in keyof BenchResults]: BenchResults[K] } = {
    startedAt,
    finishedAt: '',
    command,
    quick,
    machine,
    loadAverageAtEnd: [],
  };

  if (only.has('startup')) {
    progress('section 1: start-up');
    results.startup = await runSection<StartupResult>(
      script('startup'),
      ['--expose-gc'],
      quick
        ? ['--rounds', '16', '--warmup', '4', '--cold', '2']
        : ['--rounds', '200', '--warmup', '30', '--cold', '15'],
    );
  }
  await savePartial(results);
  if (only.has('get')) {
    progress('section 2: get() throughput and allocation');
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
    await savePartial(results);
  }
  if (only.has('validation')) {
    progress('section 3: validation by key count');
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
    await savePartial(results);
  }
  if (only.has('refresh')) {
    progress('section 4: refresh cycle');
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
    await savePartial(results);
  }
  if (only.has('fleet')) {
    progress('section 5: fleet simulation');
    results.fleet = await runSection<FleetResult>(
      script('fleet'),
      [],
      quick ? ['--replicas', '250', '--rpm', '60', '--outageReplicas', '50', '--refreshMinutes', '20'] : [],
    );
    await savePartial(results);
  }
  if (only.has('redaction')) {
    progress('section 6: redaction');
    results.redaction = await runSection<RedactionResult>(
      script('redaction'),
      ['--expose-gc'],
      quick ? ['--budgetMs', '200', '--builds', '3'] : ['--budgetMs', '1500', '--builds', '9'],
    );
  }

  await runLeanSections({ quick, only, outDir, command });
  // Only the lean sections ran: leave the other sections' report as it is.
  if ([...only].every((s) => (LEAN_SECTIONS as readonly string[]).includes(s))) return;

  results.finishedAt = new Date().toISOString();
  results.loadAverageAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  await mkdir(outDir, { recursive: true });
  await writeFile(resolve(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(resolve(outDir, 'README.md'), renderMarkdown(results));
  await writeFile(resolve(outDir, 'bench.svg'), renderChart(results));
  process.stdout.write(consoleSummary(results));
  process.stdout.write(`wrote ${outDir}/README.md, results.json, bench.svg\n`);
}

await main();
