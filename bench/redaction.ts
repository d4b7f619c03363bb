/**
 * Section 6: what masking costs. `SecretsService.redact()` (the engine under DopplerLogger
 * and every redaction of the library) of a 1 KB log line, against 10, 1,000 and 10,000
 * secret values, and against one 1 MiB value (the response cap).
 *
 * The service comes from the public testing entry point (`createSecretsService`), so
 * this measures what an app gets. Its redactor is built on the first `redact()` of each
 * version: build time is that first call on a fresh service; per-call time is later
 * calls. Baselines in the same process: `String.prototype.includes` of one value and of
 * every value over the same line, and the previous engine (one regular expression
 * alternating every rendering of every value) where V8 still accepts its pattern.
 *
 * Run with --expose-gc (retained memory is measured after full collections).
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createSecretsService } from 'nestjs-doppler/testing';
import { emitResult, progress } from './support/child.js';
import { timeStep, type StepTiming } from './support/measure.js';
import { createRegexRedactor } from './support/regex-redactor.js';
import type { RedactionRow } from './support/results.js';
import { BASE64, textPicker } from './support/random-text.js';
import { median, seededRandom } from './support/stats.js';

const { values: args } = parseArgs({
  options: {
    budgetMs: { type: 'string', default: '1500' },
    builds: { type: 'string', default: '9' },
  },
});
const BUDGET_MS = Number(args.budgetMs);
const BUILDS = Number(args.builds);
const MIB = 1 << 20;
const MASK = '**********';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const random = seededRandom(7);
const pick = textPicker(random);

/** Secret-like values: API keys, connection URLs with a password, hex tokens. */
function secretValues(count: number): string[] {
  const values: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 5;
    if (kind < 3) values.push(`sk_${pick(BASE64, 24 + Math.floor(random() * 24))}`);
    else if (kind === 3) values.push(`postgres://app:${pick(BASE64, 20)}@db-${i}.internal:5432/app`);
    else values.push(pick('0123456789abcdef', 32 + Math.floor(random() * 32)));
  }
  return values;
}

/** A PEM-like bundle of exactly 1 MiB: base64 lines of 64 characters. */
function oneMebibyteValue(): string {
  const header = '-----BEGIN CERTIFICATE-----\n';
  let body = header;
  while (body.length < MIB) body += `${pick(BASE64, 63)}\n`;
  return body.slice(0, MIB);
}

/** An ordinary 1 KB Nest log line, with no secret in it. */
const LINE = (() => {
  const base =
    '[Nest] 28609  - 12/02/2026, 4:56:20 AM     LOG [OrdersController] GET /api/v1/orders/8812?expand=items ' +
    'user=ann@example.com request-id=5f0c9e2a-7d3b-4e51-9a1f-2b8c6d4e0f13 status=200 duration=12ms ';
  return base.repeat(Math.ceil(1024 / base.length)).slice(0, 1024);
})();

/** The same line as a JSON log record would carry it, broken over lines: escapes to undo. */
const ESCAPED_LINE = JSON.stringify({ message: LINE.replaceAll(' user=', '\n user=') }).slice(0, 1024);

function lineHolding(value: string): string {
  const half = Math.max(0, (LINE.length - value.length) >> 1);
  return `${LINE.slice(0, half)}${value}${LINE.slice(half + value.length)}`;
}

function serviceOf(values: readonly string[]): { redact(text: string): string } {
  const record: Record<string, string> = {};
  values.forEach((value, i) => {
    record[`SECRET_${i}`] = value;
  });
  return createSecretsService({ values: record });
}

function cpuMsOf(run: () => unknown): number {
  const c0 = process.cpuUsage();
  run();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/**
 * Heap and ArrayBuffer bytes held by each of `count` results of `build`, after full
 * collections: several are kept at once, so that a small one stands out from the noise.
 */
function retainedBytes(build: () => unknown, count: number): number {
  gc?.();
  gc?.();
  const before = process.memoryUsage();
  const kept: unknown[] = [];
  for (let i = 0; i < count; i++) kept.push(build());
  gc?.();
  gc?.();
  const after = process.memoryUsage();
  if (kept.length !== count) return Number.NaN;
  return (after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers)) / count;
}

const us = (timing: StepTiming): number => timing.cpuMs * 1000;

function measure(label: string, values: readonly string[], hitValue: string | undefined): RedactionRow {
  const hit = hitValue === undefined ? undefined : lineHolding(hitValue);

  // Build: the first redact() of a fresh version. The first in the process runs cold.
  const builds: number[] = [];
  let firstBuildCpuMs = Number.NaN;
  for (let b = 0; b <= BUILDS; b++) {
    const service = serviceOf(values);
    const ms = cpuMsOf(() => service.redact(''));
    if (b === 0) firstBuildCpuMs = ms;
    else builds.push(ms);
  }
  const total = values.reduce((sum, v) => sum + v.length, 0);
  const retained = retainedBytes(
    () => {
      const service = serviceOf(values);
      service.redact('');
      return service;
    },
    Math.max(1, Math.min(200, Math.floor(4_000_000 / total))),
  );

  const service = serviceOf(values);
  service.redact('');
  if (service.redact(LINE) !== LINE) throw new Error('the clean line was changed');
  if (hit !== undefined && hitValue !== undefined && service.redact(hit).includes(hitValue)) {
    throw new Error('the value was not masked');
  }
  if (service.redact(ESCAPED_LINE) !== ESCAPED_LINE) throw new Error('the escaped line was changed');
  const clean = timeStep(() => service.redact(LINE), BUDGET_MS);
  const escaped = timeStep(() => service.redact(ESCAPED_LINE), BUDGET_MS);
  const withValue = hit === undefined ? undefined : timeStep(() => service.redact(hit), BUDGET_MS);
  const bigText = hitValue === undefined ? values[0] : undefined;
  const whole = bigText === undefined ? undefined : timeStep(() => service.redact(bigText), BUDGET_MS, 3);

  const first = values[0];
  const includesOne = timeStep(() => LINE.includes(first), BUDGET_MS / 3);
  const includesAll = timeStep(() => {
    let found = false;
    for (const value of values) found = LINE.includes(value) || found;
    return found;
  }, BUDGET_MS / 3);

  // The previous engine: its SyntaxError quotes every value, so only its name is kept.
  let regex: RedactionRow['regex'];
  try {
    let redact: ((text: string) => string) | undefined;
    const buildCpuMs = cpuMsOf(() => {
      redact = createRegexRedactor(values);
      redact('');
    });
    const run = redact as (text: string) => string;
    if (hit !== undefined && hitValue !== undefined && !run(hit).includes(MASK)) throw new Error('regex');
    regex = {
      buildCpuMs,
      cleanUs: us(timeStep(() => run(LINE), BUDGET_MS / 2)),
      escapedUs: us(timeStep(() => run(ESCAPED_LINE), BUDGET_MS / 2)),
      withValueUs: hit === undefined ? Number.NaN : us(timeStep(() => run(hit), BUDGET_MS / 2)),
    };
  } catch (error) {
    regex = { failed: error instanceof Error ? error.name : 'unknown' };
  }

  const row: RedactionRow = {
    label,
    values: values.length,
    valueBytes: total,
    buildCpuMs: median(builds),
    firstBuildCpuMs,
    retainedBytes: retained,
    cleanUs: us(clean),
    escapedUs: us(escaped),
    withValueUs: withValue === undefined ? Number.NaN : us(withValue),
    wholeValueMs: whole === undefined ? Number.NaN : whole.cpuMs,
    includesOneUs: us(includesOne),
    includesAllUs: us(includesAll),
    regex,
  };
  progress(
    `redaction ${label}: build ${row.buildCpuMs.toFixed(2)} ms, clean line ${row.cleanUs.toFixed(2)} µs ` +
      `(includes of one value ${row.includesOneUs.toFixed(3)} µs), ${'failed' in regex ? `old regex: ${regex.failed}` : `old regex ${regex.cleanUs.toFixed(2)} µs`}`,
  );
  return row;
}

function main(): void {
  const rows: RedactionRow[] = [];
  for (const count of [10, 1000, 10_000]) {
    const values = secretValues(count);
    rows.push(measure(`${count.toLocaleString('en-US')} values`, values, values[Math.floor(count / 2)]));
  }
  rows.push(measure('one 1 MiB value', [oneMebibyteValue()], undefined));
  emitResult({ lineBytes: LINE.length, budgetMs: BUDGET_MS, builds: BUILDS, rows });
}

main();
