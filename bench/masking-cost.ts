/**
 * Section `masking`: what the masking engine costs per character of a large text, through
 * `SecretsService.redact()` (nestjs-doppler/testing's `createSecretsService`: the engine under
 * DopplerLogger and every redaction of the library), on the texts that make it read most:
 *   - a 1 MiB PEM bundle logged plain (the value written whole in the line);
 *   - the same line inside a JSON record (the value written escaped, one `\n` a line);
 *   - a 1 MiB line that holds none of the values;
 *   - a 64 KiB line against 10,000 values (a few of them in it).
 * The peer, measured in the same process in the same rounds, is the engine's native search
 * (`String.prototype.includes`) of one value, written as it appears, over the same text: the
 * least any masker must pay to know whether that one value is there.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createSecretsService } from 'nestjs-doppler/testing';
import { emitResult, progress } from './support/child.js';
import { timeStep } from './support/measure.js';
import type { MaskingCostResult, MaskingCostRow } from './support/masking-report.js';
import { BASE64, textPicker } from './support/random-text.js';
import { median, seededRandom } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    budgetMs: { type: 'string', default: '400' },
  },
});
const ROUNDS = Number(args.rounds);
const BUDGET_MS = Number(args.budgetMs);
const MIB = 1 << 20;
const MASK = '**********';

const random = seededRandom(11);
const pick = textPicker(random);

/** Certificates of 64-character base64 lines, to `size` characters. */
function pemBundle(size: number): string {
  let bundle = '';
  while (bundle.length < size) {
    bundle += '-----BEGIN CERTIFICATE-----\n';
    for (let line = 0; line < 24; line++) bundle += `${pick(BASE64, 64)}\n`;
    bundle += '-----END CERTIFICATE-----\n';
  }
  return bundle.slice(0, size);
}

/** Ordinary log text (words, ids, no secret) to `size` characters. */
function ordinaryText(size: number): string {
  let text = '';
  while (text.length < size) {
    text += `GET /api/v1/orders/${pick('0123456789', 5)} user=${pick('abcdefghij', 6)} status=200 id=${pick(BASE64, 22)} `;
  }
  return text.slice(0, size);
}

function serviceOf(values: readonly string[]): { redact(text: string): string } {
  const record: Record<string, string> = {};
  values.forEach((value, i) => {
    record[`SECRET_${i}`] = value;
  });
  const service = createSecretsService({ values: record });
  service.redact(''); // builds the redactor: build time is not what this section measures
  return service;
}

interface Case {
  readonly label: string;
  readonly values: readonly string[];
  readonly text: string;
  /** The value as it is written in `text`, for the peer's search. */
  readonly written: string;
  /** What the redacted text must (not) hold, checked before timing. */
  readonly check: (redacted: string) => boolean;
}

function cases(): Case[] {
  const pem = pemBundle(MIB);
  const small = `sk_${pick(BASE64, 32)}`;
  const plain = `cert ${pem} loaded`;
  const json = JSON.stringify({ level: 'log', message: plain });
  const clean = ordinaryText(MIB);
  const keys = Array.from({ length: 10_000 }, () => `sk_${pick(BASE64, 24 + Math.floor(random() * 24))}`);
  let line = '';
  for (let i = 0; line.length < 64 * 1024; i++) {
    line += ordinaryText(1024 - 64);
    line += ` key=${keys[(i * 997) % keys.length]} `;
  }
  line = line.slice(0, 64 * 1024);
  // A value the line does not hold: the peer reads the whole line.
  const absent = keys[1];
  if (line.includes(absent)) throw new Error('the absent value is in the line');
  return [
    {
      label: '1 MiB PEM bundle, logged plain',
      values: [pem, small],
      text: plain,
      written: pem,
      check: (r) => r === `cert ${MASK} loaded`,
    },
    {
      label: 'the same line inside a JSON record',
      values: [pem, small],
      text: json,
      written: JSON.stringify(pem).slice(1, -1),
      check: (r) => !r.includes('MIIE') && !r.includes(pem.slice(30, 90)) && r.includes(MASK),
    },
    {
      label: '1 MiB line with no secret in it',
      values: [pem, small],
      text: clean,
      written: small,
      check: (r) => r === clean,
    },
    {
      label: '10,000 values over a 64 KiB line',
      values: keys,
      text: line,
      written: absent,
      check: (r) => r.includes(MASK) && !r.includes(keys[997]),
    },
  ];
}

function measure(c: Case): MaskingCostRow {
  const service = serviceOf(c.values);
  if (!c.check(service.redact(c.text))) throw new Error(`${c.label}: wrong result`);
  const engine: number[] = [];
  const peer: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating which goes first, so that a slow stretch of the machine hits both.
    const first = round % 2 === 0;
    const timePeer = (): number => timeStep(() => c.text.includes(c.written), BUDGET_MS / 4, 3).cpuMs;
    const timeEngine = (): number => timeStep(() => service.redact(c.text), BUDGET_MS, 3).cpuMs;
    const p0 = first ? timePeer() : Number.NaN;
    const e = timeEngine();
    const p = first ? p0 : timePeer();
    engine.push(e);
    peer.push(p);
    ratios.push(e / p);
  }
  const perChar = (ms: number): number => (ms * 1e6) / c.text.length;
  const row: MaskingCostRow = {
    label: c.label,
    values: c.values.length,
    textChars: c.text.length,
    engineNsPerChar: perChar(median(engine)),
    peerNsPerChar: perChar(median(peer)),
    ratio: median(ratios),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
  };
  progress(
    `masking ${c.label}: ${row.engineNsPerChar.toFixed(2)} ns/char, includes ${row.peerNsPerChar.toFixed(3)} ns/char, ratio ${row.ratio.toFixed(1)}`,
  );
  return row;
}

const result: MaskingCostResult = { rounds: ROUNDS, budgetMs: BUDGET_MS, rows: cases().map(measure) };
emitResult(result);
