/**
 * Section 3: validation cost at N keys, one process per N and per mode: class-validator
 * keeps its metadata (and one constraint instance per decorator use) globally, so a
 * process that had registered a 10,000-key class would make the 10-key numbers look worse
 * than they are; and the huge young generation that the allocation mode needs would
 * distort timings.
 *
 * For a generated schema of N keys and a payload that passes it, `--mode time` times, through
 * the public API only: `JSON.parse` of the body (a baseline: the library's own parser is not
 * public), transform, validate and build (`createSecretsService` with the schema: the
 * bootstrap's validation, then one Secret per key), and build alone (`new SecretsService` from
 * already-validated values). `--mode alloc` measures bytes allocated by one validate-and-build
 * and bytes retained by one built service. `--mode time-map` times validate-and-build again
 * with a Map-backed class-validator container (useContainer), to show where the superlinear
 * growth comes from.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { useContainer } from 'class-validator';
import { SecretsService } from 'nestjs-doppler';
import { createSecretsService } from 'nestjs-doppler/testing';
import { emitResult, progress } from './support/child.js';
import { allocationPerCall, retainedPerObject, timeStep } from './support/measure.js';
import { generatedSchema } from './support/schemas.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '100' },
    mode: { type: 'string', default: 'time' },
    budgetMs: { type: 'string', default: '3000' },
  },
});
const KEYS = Number(args.keys);
const BUDGET_MS = Number(args.budgetMs);

if (args.mode === 'time-map') {
  // What an app can do today: give class-validator a container that finds constraint
  // instances in a Map instead of its default linear Array.find (see the report).
  const instances = new Map<unknown, unknown>();
  useContainer({
    get: (someClass: unknown): unknown => {
      let instance = instances.get(someClass);
      if (instance === undefined) {
        instance = new (someClass as new () => unknown)();
        instances.set(someClass, instance);
      }
      return instance;
    },
  });
}

const { schema, values } = generatedSchema(KEYS);
const body = JSON.stringify({
  ...values,
  DOPPLER_PROJECT: 'bench',
  DOPPLER_CONFIG: 'prd',
  DOPPLER_ENVIRONMENT: 'prd',
});
const metadata = { source: 'doppler-api' as const, fetchedAt: new Date() };
const raw = JSON.parse(body) as Record<string, string>;
const validateAndBuild = (): SecretsService<Record<string, unknown>> =>
  createSecretsService<Record<string, unknown>>({ schema, values: raw, metadata });
const first = validateAndBuild();
// The typed values the schema produced, to time building a service from them alone.
const validated = Object.fromEntries(first.keys().map((key) => [key, first.get(key).reveal()]));
if (Object.keys(validated).length !== KEYS) throw new Error(`expected ${KEYS} keys`);

if (args.mode === 'time') {
  const parse = timeStep(() => JSON.parse(body) as unknown, BUDGET_MS / 4);
  const validate = timeStep(validateAndBuild, BUDGET_MS);
  const build = timeStep(() => new SecretsService(validated, metadata), BUDGET_MS / 4);
  progress(
    `validation: ${KEYS} keys: validate ${validate.cpuMs.toFixed(3)} ms CPU, ${validate.wallMs.toFixed(3)} ms wall`,
  );
  emitResult({ keys: KEYS, bodyBytes: Buffer.byteLength(body), parse, validate, build });
} else if (args.mode === 'time-map') {
  const validate = timeStep(validateAndBuild, BUDGET_MS);
  progress(`validation: ${KEYS} keys, Map-backed container: validate ${validate.cpuMs.toFixed(3)} ms CPU`);
  emitResult({ keys: KEYS, validate });
} else {
  const calls = Math.max(1, Math.floor(10_000 / KEYS));
  const allocation = await allocationPerCall((n, keep) => {
    for (let i = 0; i < n; i++) keep.push(validateAndBuild());
  }, calls);
  const retained = retainedPerObject(
    () => new SecretsService(validated, metadata),
    Math.max(4, 20_000 / KEYS),
  );
  progress(
    `validation: ${KEYS} keys: ${(allocation.bytesPerCall / 1024).toFixed(0)} KiB allocated per validation, ` +
      `service retains ${(retained / 1024).toFixed(1)} KiB`,
  );
  emitResult({
    keys: KEYS,
    validateAllocatedBytes: allocation.bytesPerCall,
    gcs: allocation.gcs,
    serviceRetainedBytes: retained,
  });
}
