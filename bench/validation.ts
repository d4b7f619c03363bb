/**
 * Section 3: validation cost at N keys, one process per N and per mode: class-validator
 * keeps its metadata (and one constraint instance per decorator use) globally, so a
 * process that had registered a 10,000-key class would make the 10-key numbers look worse
 * than they are; and the huge young generation that the allocation mode needs would
 * distort timings.
 *
 * For a generated schema of N keys and a payload that passes it, `--mode time` times the
 * three steps a changed payload goes through: parse the body (parseSecretsPayload),
 * transform and validate (validateSecrets), build the service (new SecretsService: one
 * Secret per key). `--mode alloc` measures bytes allocated by one validation and bytes
 * retained by one built service. `--mode time-map` times validation again with a
 * Map-backed class-validator container (useContainer), to show where the superlinear
 * growth comes from.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { useContainer } from 'class-validator';
import { parseSecretsPayload } from '../lib/client/parse-secrets-payload.js';
import { SecretsService } from '../lib/secrets.service.js';
import { validateSecretsSync } from '../lib/validation/validate-secrets.js';
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
const raw = parseSecretsPayload(body, 'application/json');
const validated = validateSecretsSync(schema, raw);
if (Object.keys(validated).length !== KEYS) throw new Error(`expected ${KEYS} keys`);

if (args.mode === 'time') {
  const parse = timeStep(() => parseSecretsPayload(body, 'application/json'), BUDGET_MS / 4);
  const validate = timeStep(() => validateSecretsSync(schema, raw), BUDGET_MS);
  const build = timeStep(() => new SecretsService(validated, metadata), BUDGET_MS / 4);
  progress(
    `validation: ${KEYS} keys: validate ${validate.cpuMs.toFixed(3)} ms CPU, ${validate.wallMs.toFixed(3)} ms wall`,
  );
  emitResult({ keys: KEYS, bodyBytes: Buffer.byteLength(body), parse, validate, build });
} else if (args.mode === 'time-map') {
  const validate = timeStep(() => validateSecretsSync(schema, raw), BUDGET_MS);
  progress(`validation: ${KEYS} keys, Map-backed container: validate ${validate.cpuMs.toFixed(3)} ms CPU`);
  emitResult({ keys: KEYS, validate });
} else {
  const calls = Math.max(1, Math.floor(10_000 / KEYS));
  const allocation = await allocationPerCall((n, keep) => {
    for (let i = 0; i < n; i++) keep.push(validateSecretsSync(schema, raw));
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
