/**
 * Section 4: one refresh cycle, 304 (nothing changed) versus a changed payload.
 *
 * The library's own refresh cycle (SecretsService.refresh()) refreshes a real SecretsService against the emulator, which runs
 * in another process behind a pass-through TCP proxy that counts bytes each way (HTTP
 * request and response, headers and body; TCP/IP overhead and TLS are not included).
 * CPU time is process.cpuUsage() of this process around service.refresh() only: the
 * emulator's work and the IPC that changes a secret between cycles are outside it.
 * Before each cycle the keep-alive socket is dropped: at refresh intervals of tens of
 * seconds the server's idle timeout has closed it, so each cycle connects anew.
 */
import 'reflect-metadata';
import { globalAgent } from 'node:http';
import { parseArgs } from 'node:util';
import { Logger, type Type } from '@nestjs/common';
import { loadDopplerSecrets } from 'nestjs-doppler';
import { emitResult, EmulatorHost, progress } from './support/child.js';
import {
  APP_SECRET_VALUES,
  AppSecrets,
  BENCH_CONFIG,
  BENCH_PROJECT,
  BENCH_TOKEN,
  benchSeed,
  generatedSchema,
  keyName,
} from './support/schemas.js';
import { median } from './support/stats.js';

const { values: args } = parseArgs({
  options: { keys: { type: 'string', default: '12' }, cycles: { type: 'string', default: '200' } },
});
const KEYS = Number(args.keys);
const CYCLES = Number(args.cycles);

interface Cycle {
  readonly cpuUs: number;
  readonly wallMs: number;
  readonly up: number;
  readonly down: number;
}

async function main(): Promise<void> {
  let schema: Type<object>;
  let values: Record<string, string>;
  let changing: string;
  if (KEYS === 12) {
    schema = AppSecrets;
    values = { ...APP_SECRET_VALUES };
    changing = 'PAYMENTS_API_KEY';
  } else {
    ({ schema, values } = generatedSchema(KEYS));
    changing = keyName(2);
  }
  const host = await EmulatorHost.start({ seed: benchSeed(values) });
  Logger.overrideLogger(false);
  const service = await loadDopplerSecrets({ token: BENCH_TOKEN, apiUrl: host.url, schema });

  let version = 0;
  async function cycle(expect: 'unchanged' | 'changed'): Promise<Cycle> {
    if (expect === 'changed') {
      version++;
      await host.setSecret(
        BENCH_PROJECT,
        BENCH_CONFIG,
        changing,
        `pk_live_rotated_value_${String(version).padStart(8, '0')}`,
      );
    }
    globalAgent.destroy();
    const b0 = await host.bytes();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await service.refresh();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const b1 = await host.bytes();
    if (result.kind !== expect) throw new Error(`expected ${expect}, got ${result.kind}`);
    return { cpuUs: cpu.user + cpu.system, wallMs, up: b1.up - b0.up, down: b1.down - b0.down };
  }

  const summarise = (rows: readonly Cycle[]) => ({
    cpuUs: median(rows.map((r) => r.cpuUs)),
    wallMs: median(rows.map((r) => r.wallMs)),
    bytesUp: median(rows.map((r) => r.up)),
    bytesDown: median(rows.map((r) => r.down)),
  });

  // Warm both paths (JIT), then alternate blocks so drift hits both alike.
  for (let i = 0; i < 20; i++) await cycle(i % 2 === 0 ? 'unchanged' : 'changed');
  const notModified: Cycle[] = [];
  const changed: Cycle[] = [];
  for (let i = 0; i < CYCLES; i++) {
    notModified.push(await cycle('unchanged'));
    changed.push(await cycle('changed'));
  }
  await host.stop();
  const a = summarise(notModified);
  const b = summarise(changed);
  progress(
    `refresh: ${KEYS} keys: 304 ${a.cpuUs} us CPU, ${a.bytesUp}+${a.bytesDown} B; ` +
      `changed ${b.cpuUs} us CPU, ${b.bytesUp}+${b.bytesDown} B`,
  );
  emitResult({ keys: KEYS, cycles: CYCLES, notModified: a, changed: b, service: service.status.version });
}

await main();
