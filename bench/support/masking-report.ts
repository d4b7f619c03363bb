/**
 * Section `masking` of `npm run bench` (bench/masking-cost.ts): runs it in its own process
 * and writes <out>/masking.md and <out>/masking.json, apart from README.md, so that it can
 * be run alone without touching the other sections' results.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { progress, runSection, scriptPath } from './child.js';

export const MASKING_SECTION = 'masking';

export interface MaskingCostRow {
  readonly label: string;
  readonly values: number;
  readonly textChars: number;
  /** CPU time of one `redact()` of the text, per character (median of the rounds). */
  readonly engineNsPerChar: number;
  /** CPU time of `includes` of one value over the same text, per character. */
  readonly peerNsPerChar: number;
  /** Median over the rounds of engine / peer, each round timing both. */
  readonly ratio: number;
  readonly ratioRange: readonly [number, number];
}

export interface MaskingCostResult {
  readonly rounds: number;
  readonly budgetMs: number;
  readonly rows: readonly MaskingCostRow[];
}

const f = (n: number, digits = 2): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Runs the section, then writes its two files. */
export async function runMaskingSection(options: {
  readonly quick: boolean;
  readonly outDir: string;
  readonly command: string;
}): Promise<void> {
  const { quick, outDir, command } = options;
  progress('masking: the engine per character of a large text');
  const result = await runSection<MaskingCostResult>(
    scriptPath('../masking-cost.js', import.meta.url),
    [],
    quick ? ['--rounds', '3', '--budgetMs', '100'] : ['--rounds', '7', '--budgetMs', '600'],
  );
  const at = new Date().toISOString();
  const load = loadavg().map((l) => Math.round(l * 100) / 100);
  await mkdir(outDir, { recursive: true });
  await writeFile(
    resolve(outDir, 'masking.json'),
    `${JSON.stringify({ command, at, load, result }, null, 2)}\n`,
  );
  await writeFile(resolve(outDir, 'masking.md'), renderMasking(result, command, at, load));
  process.stdout.write(`wrote ${outDir}/masking.md, masking.json\n`);
}

function renderMasking(
  result: MaskingCostResult,
  command: string,
  at: string,
  load: readonly number[],
): string {
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
  return [
    '# The masking engine per character of a large text',
    '',
    `Written by \`npm run bench\` (section ${MASKING_SECTION}; bench/masking-cost.ts). \`${command}\`, ${at}, ` +
      `load ${load.join(' / ')} at the end. Machine: ${machine}.`,
    '',
    '`SecretsService.redact()` (nestjs-doppler/testing `createSecretsService`; the engine under `DopplerLogger` ' +
      'and every redaction of the library) of each text, its redactor built beforehand. The peer is ' +
      '`String.prototype.includes` of one value, as written in the text, over the same text: what any masker ' +
      `pays at least to know whether that one value is there. ${result.rounds} rounds in one process, each ` +
      'timing both (alternating which goes first); CPU time per call, median of the rounds. The machine is ' +
      'shared: absolute figures are pessimistic, the ratio is what to compare.',
    '',
    '| text | values | characters | engine (ns/char) | includes of one value (ns/char) | engine / includes (min-max) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...result.rows.map(
      (r) =>
        `| ${r.label} | ${r.values.toLocaleString('en-US')} | ${r.textChars.toLocaleString('en-US')} | ` +
        `${f(r.engineNsPerChar)} | ${f(r.peerNsPerChar, 3)} | ${f(r.ratio, 1)} (${f(r.ratioRange[0], 1)}-${f(r.ratioRange[1], 1)}) |`,
    ),
    '',
  ].join('\n');
}
