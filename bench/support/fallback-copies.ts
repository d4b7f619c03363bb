/**
 * The fallback copies a restarting fleet holds, made and read through the public API only: one
 * real boot with `fallback` on writes a copy (a real PBKDF2 derivation), and each replica gets a
 * byte-for-byte clone of it in a path of its own, as each pod keeps its own volume.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Type } from '@nestjs/common';
import { loadDopplerSecrets } from 'nestjs-doppler';
import { DopplerEmulator, type EmulatorSeed } from 'nestjs-doppler/testing';
import { median } from './stats.js';

/** Set explicitly, as the README advises, so the copy does not depend on the token. */
export const FALLBACK_PASSPHRASE = 'bench-fleet-passphrase';

/** Writes the copy a replica's previous run would have left: one boot with the fallback on. */
export async function writeFallbackCopy(
  seed: EmulatorSeed,
  token: string,
  schema: Type<object>,
  path: string,
): Promise<void> {
  const emulator = new DopplerEmulator(seed);
  const apiUrl = await emulator.start();
  try {
    const service = await loadDopplerSecrets({
      token,
      apiUrl,
      schema,
      fallback: { path, passphrase: FALLBACK_PASSPHRASE },
    });
    await service.close();
    if (service.metadata.source !== 'doppler-api') throw new Error('the copy was not written from Doppler');
  } finally {
    await emulator.stop();
  }
}

/** `count` clones of `master`, one path per replica. */
export async function cloneCopies(master: string, dir: string, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `replica-${i}.enc`);
    await copyFile(master, path);
    paths.push(path);
  }
  return paths;
}

/** A loopback port nothing listens on: a connection to it is refused at once. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Real boots from the copy while Doppler refuses connections (`retries: 0`): the whole fallback
 * path, key derivation included, timed end to end. Each boot is a new service, so a new key.
 */
export async function timeFallbackBoot(
  path: string,
  token: string,
  schema: Type<object>,
  runs = 3,
): Promise<{ wallMs: number; cpuMs: number; runs: number }> {
  const apiUrl = `http://127.0.0.1:${await refusedPort()}`;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const service = await loadDopplerSecrets({
      token,
      apiUrl,
      schema,
      retries: 0,
      fallback: { path, passphrase: FALLBACK_PASSPHRASE },
    });
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    await service.close();
    if (service.metadata.source !== 'fallback') throw new Error('the fallback did not serve');
  }
  return { wallMs: median(wall), cpuMs: median(cpu), runs };
}
