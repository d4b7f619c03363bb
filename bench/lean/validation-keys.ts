/**
 * Validation cost by number of keys, through the public entry point: `createSecretsService({
 * schema, values })` from nestjs-doppler/testing runs the same transformation and validation as a
 * bootstrap, then builds the service. Baseline, same process and schema: what the hand-rolled
 * provider does (class-transformer's plainToInstance, then class-validator's validateSync).
 * One process per size: class-validator keeps metadata and constraint instances globally.
 * Usage: node --expose-gc validation-keys.js --keys 1000
 * Profile one side only: node --cpu-prof validation-keys.js --keys 10000 --only library --runs 50
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { plainToInstance, Type } from 'class-transformer';
import { IsInt, IsString, IsUrl, Min, MinLength, validateSync } from 'class-validator';
import { createSecretsService } from 'nestjs-doppler/testing';
import { emitResult, median, progress } from './harness.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '100' },
    budgetMs: { type: 'string', default: '3000' },
    // For a profile: run one side `runs` times, untimed, and print nothing else.
    only: { type: 'string' },
    runs: { type: 'string', default: '50' },
  },
});
const KEYS = Number(args.keys);
const BUDGET_MS = Number(args.budgetMs);

/** One key in ten a number, one in ten a URL, the rest strings with a minimum length. */
function generated(keys: number): { schema: new () => object; values: Record<string, string> } {
  const Generated = class {};
  Object.defineProperty(Generated, 'name', { value: `Generated${keys}` });
  const proto = Generated.prototype;
  const values: Record<string, string> = {};
  for (let i = 0; i < keys; i++) {
    const key = `KEY_${String(i).padStart(5, '0')}`;
    if (i % 10 === 0) {
      Type(() => Number)(proto, key);
      IsInt()(proto, key);
      Min(0)(proto, key);
      values[key] = String(1000 + i);
    } else if (i % 10 === 1) {
      IsUrl({ protocols: ['https'], require_tld: false })(proto, key);
      values[key] = `https://svc-${i}.internal/v1`;
    } else {
      IsString()(proto, key);
      MinLength(8)(proto, key);
      values[key] = `value-${i}-${'x'.repeat(24)}`;
    }
  }
  return { schema: Generated, values };
}

interface Timing {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly runs: number;
}

/** Median CPU and wall time of single runs (each at least ~a millisecond at these sizes, or batched). */
function time(step: () => unknown, budgetMs: number): Timing {
  step();
  step();
  let batch = 1;
  while (batch < 1 << 16) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) step();
    if (performance.now() - t0 >= 5) break;
    batch *= 2;
  }
  const cpu: number[] = [];
  const wall: number[] = [];
  const started = performance.now();
  while (cpu.length < 5 || (performance.now() - started < budgetMs && cpu.length < 200)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) step();
    wall.push((performance.now() - t0) / batch);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / batch);
  }
  return { cpuMs: median(cpu), wallMs: median(wall), runs: cpu.length * batch };
}

const { schema, values } = generated(KEYS);
if (createSecretsService({ schema, values }).keys().length !== KEYS) throw new Error(`expected ${KEYS} keys`);
const handRolled = (): object => {
  const instance = plainToInstance(schema, values);
  if (validateSync(instance).length > 0) throw new Error('invalid');
  return instance;
};
if (args.only !== undefined) {
  if (args.only !== 'library' && args.only !== 'baseline') throw new Error('--only is library or baseline');
  const step = args.only === 'library' ? () => createSecretsService({ schema, values }) : handRolled;
  for (let i = 0, runs = Number(args.runs); i < runs; i++) step();
  process.exit(0);
}
// The baseline first: the library keeps class-validator's constraint instances on this class's
// metadata, which would speed up every later validation of it, the baseline's included.
const baseline = time(handRolled, BUDGET_MS);
const library = time(() => createSecretsService({ schema, values }), BUDGET_MS);
progress(
  `validation: ${KEYS} keys: library ${library.cpuMs.toFixed(3)} ms CPU, plainToInstance + validateSync ${baseline.cpuMs.toFixed(3)} ms CPU`,
);
emitResult({ keys: KEYS, library, baseline });
