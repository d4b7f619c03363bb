/**
 * The lean sections of `npm run bench` (issue 14: start-up at the cost of the fetch):
 *   minimal      start-up, three keys, one module: DopplerModule vs hand-rolled vs official SDK
 *   fresh        the same start in fresh processes: from the process's start to the app being ready
 *   keys         validation by number of keys (10 to 10,000)
 *   get-map      secrets.get(key) vs Map.get(key), and bytes allocated per call
 * Each runs in its own Node process; the results go to <out>/lean.md and <out>/lean.json
 * (a section not run keeps its previous result there).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { progress, runScript } from './harness.js';

export const LEAN_SECTIONS = ['minimal', 'fresh', 'keys', 'get-map'] as const;

interface Ratio {
  readonly value: number;
  readonly ci95: [number, number];
}
interface MinimalResult {
  readonly rounds: number;
  readonly warmup: number;
  readonly keys: number;
  /** Runs before the seeded shuffle (a rotating order) have none. */
  readonly worstPredecessorShare?: number;
  readonly variants: readonly {
    id: string;
    label: string;
    medianMs: number;
    p25Ms: number;
    p75Ms: number;
    medianCpuMs: number;
  }[];
  readonly ratios: Readonly<Record<string, Ratio>>;
}
interface FreshResult {
  readonly rounds: number;
  readonly variants: readonly { id: string; label: string; totalMs: number; bootMs: number }[];
  readonly ratios: Readonly<Record<string, Ratio>>;
}
interface Timing {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly runs: number;
}
interface KeysResult {
  readonly keys: number;
  readonly library: Timing;
  readonly baseline: Timing;
}
interface GetResult {
  readonly time: {
    getNsCpu: number;
    mapNsCpu: number;
    ratio: number;
    ratioRange: [number, number];
    calls: number;
    trials: number;
  };
  readonly alloc: {
    rows: Record<'get' | 'map' | 'control', { bytesPerCall: number; gcs: number }>;
    calls: number;
  };
}
interface LeanResults {
  minimal?: { command: string; at: string; load: number[]; result: MinimalResult };
  fresh?: { command: string; at: string; load: number[]; result: FreshResult };
  keys?: { command: string; at: string; load: number[]; result: KeysResult[] };
  getMap?: { command: string; at: string; load: number[]; result: GetResult };
}

/** The goal line of the keys section: 10,000 keys under 100 ms, growth close to x10 per x10 keys. */
function keysGoal(rows: readonly KeysResult[]): string[] {
  const largest = rows.find((row) => row.keys === 10_000);
  const first = rows.find((row) => row.keys === 1_000);
  const lines: string[] = [];
  if (largest !== undefined) {
    const ms = largest.library.cpuMs;
    lines.push(
      `**10,000 keys: ${ms.toFixed(1)} ms CPU** (goal < 100 ms: ${ms < 100 ? 'met' : 'not met'}), ` +
        `${(largest.library.cpuMs / largest.baseline.cpuMs).toFixed(2)} of the baseline's time in the same run.`,
    );
  }
  if (largest !== undefined && first !== undefined) {
    lines.push(
      '',
      `Growth from 1,000 to 10,000 keys: x${(largest.library.cpuMs / first.library.cpuMs).toFixed(1)} ` +
        `(goal close to x10; baseline x${(largest.baseline.cpuMs / first.baseline.cpuMs).toFixed(1)}).`,
    );
  }
  return lines;
}

const load = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

/** Runs the lean sections in `only`, merges them into <outDir>/lean.json and rewrites lean.md. */
export async function runLeanSections(options: {
  readonly quick: boolean;
  readonly only: ReadonlySet<string>;
  readonly outDir: string;
  readonly command: string;
}): Promise<void> {
  const { quick, only, outDir, command } = options;
  if (!LEAN_SECTIONS.some((s) => only.has(s))) return;
  const jsonPath = resolve(outDir, 'lean.json');
  const results = JSON.parse(await readFile(jsonPath, 'utf8').catch(() => '{}')) as LeanResults;
  const stamp = (): { command: string; at: string; load: number[] } => ({
    command,
    at: new Date().toISOString(),
    load: load(),
  });
  if (only.has('minimal')) {
    progress('lean: minimal start-up (three keys, one module)');
    const result = await runScript<MinimalResult>(
      'minimal-startup',
      ['--expose-gc'],
      quick ? ['--rounds', '20', '--warmup', '5'] : ['--rounds', '400', '--warmup', '60'],
    );
    results.minimal = { ...stamp(), result };
  }
  if (only.has('fresh')) {
    progress('lean: fresh processes (three keys, one module)');
    const result = await runScript<FreshResult>('fresh-start', [], ['--rounds', quick ? '5' : '30']);
    results.fresh = { ...stamp(), result };
  }
  if (only.has('keys')) {
    progress('lean: validation by number of keys');
    const rows: KeysResult[] = [];
    for (const keys of quick ? [10, 100, 1000] : [10, 100, 1000, 10000]) {
      rows.push(
        await runScript<KeysResult>(
          'validation-keys',
          [],
          ['--keys', String(keys), '--budgetMs', quick ? '300' : '3000'],
        ),
      );
    }
    results.keys = { ...stamp(), result: rows };
  }
  if (only.has('get-map')) {
    progress('lean: get() vs Map.get()');
    const time = await runScript<GetResult['time']>(
      'get-vs-map',
      [],
      quick ? ['--calls', '1000000', '--trials', '5'] : ['--calls', '10000000', '--trials', '21'],
    );
    const alloc = await runScript<GetResult['alloc']>(
      'get-vs-map',
      ['--expose-gc', '--min-semi-space-size=256', '--max-semi-space-size=256'],
      ['--mode', 'alloc'],
    );
    results.getMap = { ...stamp(), result: { time, alloc } };
  }
  await mkdir(outDir, { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(resolve(outDir, 'lean.md'), renderLean(results));
  process.stdout.write(`wrote ${outDir}/lean.md, lean.json\n`);
}

const f = (n: number, digits = 2): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const r = (ratio: Ratio): string => `${f(ratio.value)} [95 % CI ${f(ratio.ci95[0])}-${f(ratio.ci95[1])}]`;
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;

/**
 * What Nest itself charges for a module (runs before the hand-rolled-in-a-module variants were
 * added have no such ratios).
 */
function moduleFloor(ratios: Record<string, Ratio>): string[] {
  const one = ratios['handOneOverHand'];
  const shaped = ratios['handShapedOverHand'];
  const own = ratios['moduleOverHandShaped'];
  const ownCpu = ratios['moduleOverHandShapedCpu'];
  if (!one || !shaped || !own || !ownCpu) return [];
  return [
    `| the same hand-rolled fetch as the one provider of a dynamic module / hand-rolled (the floor of any module) | ${r(one)} |`,
    `| the same hand-rolled fetch in a module with DopplerModule.forRoot's providers / hand-rolled | ${r(shaped)} |`,
    `| **DopplerModule / the hand-rolled fetch in a module with its providers, wall** (the module's own work) | ${r(own)} |`,
    `| DopplerModule / the hand-rolled fetch in a module with its providers, CPU | ${r(ownCpu)} |`,
    '',
    'The last four rows separate what Nest charges for a module from what the module does. The hand-rolled ' +
      "provider sits in the app's own module; any library's `forRoot()` is a dynamic module, which Nest scans, " +
      'links and instantiates with its own ModuleRef and module class. "With its providers" is the same fetch in ' +
      'a module registering what DopplerModule.forRoot() registers: a value, the fetching factory, and an exported ' +
      'handler factory whose instance has the three lifecycle hooks, with the same injections ' +
      '(bench/lean/minimal-startup.ts, `handInModule`).',
  ];
}

/** How the rounds ordered the variants: a seeded shuffle, or (older runs) a rotation. */
function orderText(result: MinimalResult): string {
  const share = result.worstPredecessorShare;
  if (share === undefined)
    return 'every round runs each variant once in a rotating order (reversed every other block).';
  return (
    'every round runs each variant once, in an order drawn afresh (a seeded shuffle), so each variant follows ' +
    `each other about equally often: no variant followed one same variant in more than ${f(share * 100, 0)} % of ` +
    `its runs (even: ${f(100 / result.variants.length, 0)} %). What ran just before a boot shapes it (the code and ` +
    'data left in the caches); the rotating order used until 2026-12-02 put DopplerModule after the bare context, ' +
    'which makes no request, in 43 % of its runs and the hand-rolled provider after variants that do.'
  );
}

/** The method's own error: the same variant, defined twice (runs before it was added have none). */
function methodFloor(ratios: Record<string, Ratio>): string[] {
  const again = ratios['moduleAgainOverModule'];
  const againCpu = ratios['moduleAgainOverModuleCpu'];
  if (!again || !againCpu) return [];
  return [
    '',
    '| control (medians) | value |',
    '| --- | ---: |',
    `| DopplerModule again (a second, identical variant) / DopplerModule, wall (the method's own error) | ${r(again)} |`,
    `| the same, CPU | ${r(againCpu)} |`,
    '',
    'The control compares one code with itself: how far apart they are is how far apart two runs of the ' +
      'same code come out in this run, and what any other ratio here can be trusted to.',
  ];
}

function renderLean(results: LeanResults): string {
  const out: string[] = [
    '# Start-up at the cost of the fetch (issue 14)',
    '',
    `Written by \`npm run bench\` (sections ${LEAN_SECTIONS.join(', ')}; bench/lean/). Machine: ${machine}. ` +
      'Every figure below is a ratio from one run against a baseline measured in the same process, ' +
      'interleaved, with the command that made it and the load average when it ended: the machine is ' +
      'shared, so absolute times are pessimistic, ratios are what to compare.',
    '',
  ];
  const m = results.minimal;
  if (m) {
    const { result } = m;
    out.push(
      '## Minimal start-up: one module, three keys',
      '',
      `\`${m.command}\`, ${m.at}, load ${m.load.join(' / ')}. One process; ${result.rounds} rounds after ${result.warmup} warm-up rounds, ` +
        `${orderText(result)} Each run drops pooled ` +
        'sockets and runs gc(), then times `NestFactory.createApplicationContext()` until it resolves (the providers ' +
        'built, lifecycle hooks run); closing is not timed. The stand-in is the bundled emulator in another process. ' +
        `Schema: ${result.keys} keys (a postgres URL, a port through \`@Type(() => Number)\`, an API key). ` +
        'Public entry points only (`nestjs-doppler`, `nestjs-doppler/testing`).',
      '',
      '| variant | median (ms) | p25-p75 (ms) | median CPU (ms) |',
      '| --- | ---: | ---: | ---: |',
      ...result.variants.map(
        (v) =>
          `| ${v.label} | ${f(v.medianMs, 3)} | ${f(v.p25Ms, 3)}-${f(v.p75Ms, 3)} | ${f(v.medianCpuMs, 3)} |`,
      ),
      '',
      'Each interval is a 95 % percentile bootstrap over the rounds, drawn in runs of about sqrt(n) consecutive ' +
        "rounds: the machine's load drifts over seconds, so neighbouring rounds are alike (bench/lean/harness.ts).",
      '',
      '| ratio (medians) | value |',
      '| --- | ---: |',
      `| **DopplerModule / hand-rolled, wall** (goal <= 1.05) | ${r(result.ratios['moduleOverHand'])} |`,
      `| DopplerModule / hand-rolled, CPU | ${r(result.ratios['moduleOverHandCpu'])} |`,
      `| added over the bare context: DopplerModule / hand-rolled | ${r(result.ratios['addedModuleOverHand'])} |`,
      `| official SDK / hand-rolled | ${r(result.ratios['sdkOverHand'])} |`,
      `| full case (refresh, webhook, a change handler) / hand-rolled | ${r(result.ratios['fullOverHand'])} |`,
      `| full case / DopplerModule | ${r(result.ratios['fullOverModule'])} |`,
      ...moduleFloor(result.ratios),
      ...methodFloor(result.ratios),
      '',
    );
  }
  const fresh = results.fresh;
  if (fresh) {
    const { result } = fresh;
    out.push(
      '## Fresh processes: what a pod pays',
      '',
      `\`${fresh.command}\`, ${fresh.at}, load ${fresh.load.join(' / ')}. ${result.rounds} rounds; each starts one Node ` +
        'process per variant, in an order drawn afresh (bench/lean/fresh-start.ts, fresh-boot.ts). A process loads, ' +
        'with `require` as a CommonJS app does, what every variant shares (Nest, axios, class-validator, ' +
        'class-transformer) and then its own package, and ' +
        "boots the same app as the minimal section once: its first boot, with nothing compiled yet. 'Start' is from " +
        "the process's start to the app being ready; 'first boot' is `createApplicationContext()` alone. The minimal " +
        'section above times warm boots and leaves out both the import and the first run of the code. Not measured: ' +
        "an ES module app that imports axios itself also loads axios's CommonJS build, which nestjs-doppler's " +
        'CommonJS build requires (a second copy, about 12 ms on this machine).',
      '',
      '| variant | start (ms, median) | first boot (ms, median) |',
      '| --- | ---: | ---: |',
      ...result.variants.map((v) => `| ${v.label} | ${f(v.totalMs, 1)} | ${f(v.bootMs, 1)} |`),
      '',
      '| ratio (medians) | value |',
      '| --- | ---: |',
      `| DopplerModule / hand-rolled, start | ${r(result.ratios['moduleOverHandTotal'])} |`,
      `| DopplerModule / hand-rolled, first boot | ${r(result.ratios['moduleOverHandBoot'])} |`,
      `| official SDK / hand-rolled, start | ${r(result.ratios['sdkOverHandTotal'])} |`,
      '',
    );
  }
  const k = results.keys;
  if (k) {
    out.push(
      '## Validation by number of keys',
      '',
      `\`${k.command}\`, ${k.at}, load ${k.load.join(' / ')}. One process per size (class-validator keeps its metadata ` +
        "globally). Library: `createSecretsService({ schema, values })` (nestjs-doppler/testing: the bootstrap's " +
        'transformation and validation, then the masked service). Baseline, same process, measured first: ' +
        '`plainToInstance` then `validateSync`, as the hand-rolled provider does. Schema: one key in ten ' +
        '`@Type(() => Number) @IsInt() @Min(0)`, one in ten `@IsUrl()`, the rest `@IsString() @MinLength(8)`; a ' +
        'payload that passes. Median CPU time per call.',
      '',
      '| keys | library (ms CPU) | library (ms wall) | growth vs previous size | baseline (ms CPU) | baseline growth | library / baseline |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...k.result.map((row, i) => {
        const prev = k.result[i - 1];
        const grow = (a: number, b: number | undefined): string =>
          b === undefined ? '-' : `x${f(a / b, 1)}`;
        return `| ${row.keys.toLocaleString('en-US')} | ${f(row.library.cpuMs, 3)} | ${f(row.library.wallMs, 3)} | ${grow(row.library.cpuMs, prev?.library.cpuMs)} | ${f(row.baseline.cpuMs, 3)} | ${grow(row.baseline.cpuMs, prev?.baseline.cpuMs)} | ${f(row.library.cpuMs / row.baseline.cpuMs)} |`;
      }),
      '',
      ...keysGoal(k.result),
      '',
      'Linear growth is x10 per x10 keys. The baseline grows faster: class-validator looks up and groups the ' +
        "class's metadata on every call, its default container finds each constraint instance with a linear search " +
        'over every instance in the process, and each decorator use has a constraint class of its own, so ' +
        '`instance.validate` meets a new shape at each call (V8 caches a few thousand; 10,000 keys: about a ' +
        'microsecond per call); class-transformer de-duplicates keys with `indexOf`. The library makes a plan ' +
        'once per schema class (the rules grouped by property, each validator method found once) and runs the ' +
        'validators from it, class-validator itself running again only at a failure or for rule kinds the plan ' +
        'does not mirror (lib/validation/validate-instance.ts); it transforms large sets 256 keys at a time. ' +
        "What is left grows with the validators' own cost (`@IsUrl()`) and with memory: past about 1,000 keys the " +
        'objects a run touches no longer fit in the caches.',
      '',
    );
  }
  const g = results.getMap;
  if (g) {
    const { time, alloc } = g.result;
    out.push(
      '## `secrets.get(key)` against `Map.get(key)`',
      '',
      `\`${g.command}\`, ${g.at}, load ${g.load.join(' / ')}. One process, ${time.trials} interleaved trials of ` +
        `${time.calls.toLocaleString('en-US')} calls each over 16 references to 12 keys (the first loop of a trial ` +
        'alternates); CPU time. The service is built by `createSecretsService` (nestjs-doppler/testing); the Map holds ' +
        'the same Secret objects.',
      '',
      '| loop | ns per call (CPU, median) |',
      '| --- | ---: |',
      `| service.get(key) | ${f(time.getNsCpu)} |`,
      `| Map.get(key) | ${f(time.mapNsCpu)} |`,
      '',
      `**get / Map.get = ${f(time.ratio, 3)}** (median of per-trial ratios; range ${f(time.ratioRange[0], 3)}-${f(time.ratioRange[1], 3)}; goal <= 1.2).`,
      '',
      `Allocation over ${alloc.calls.toLocaleString('en-US')} calls in a window without GC (256 MB young generation): ` +
        `get ${f(alloc.rows.get.bytesPerCall, 4)} bytes per call (${alloc.rows.get.gcs} GCs), Map.get ${f(alloc.rows.map.bytesPerCall, 4)}, ` +
        `control loop allocating \`{ i }\` ${f(alloc.rows.control.bytesPerCall, 1)}: get allocates nothing.`,
      '',
    );
  }
  out.push(
    '## Reproduce',
    '',
    '```bash',
    'npm run bench -- --only=minimal,fresh,keys,get-map   # these sections only; writes docs/bench/lean.md and lean.json',
    'node --expose-gc --cpu-prof dist/bench/bench/lean/minimal-startup.js --variants module --rounds 300 --warmup 0   # profile one boot path',
    'node --cpu-prof dist/bench/bench/lean/validation-keys.js --keys 10000 --only library --runs 30   # profile the validation of 10,000 keys',
    '```',
    '',
  );
  return out.join('\n');
}
