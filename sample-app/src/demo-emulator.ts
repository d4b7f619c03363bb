import { existsSync, readFileSync, unwatchFile, watchFile } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DopplerEmulator, type EmulatorSeed } from 'nestjs-doppler/testing';

// From sample-app/src (ts) or dist/sample-app/src (built): the seed stays in sample-app/.
const SEED_CANDIDATES = ['../demo-secrets.json', '../../../sample-app/demo-secrets.json'].map((p) =>
  fileURLToPath(new URL(p, import.meta.url)),
);

export interface DemoEmulator {
  readonly emulator: DopplerEmulator;
  readonly url: string;
  readonly token: string;
  readonly seedPath: string;
}

/** Starts the bundled emulator with the demo seed, for running the sample without Doppler. */
export async function startDemoEmulator(): Promise<DemoEmulator> {
  const seedPath = SEED_CANDIDATES.find((p) => existsSync(p));
  if (seedPath === undefined) throw new Error('sample-app/demo-secrets.json not found');
  const seed = JSON.parse(readFileSync(seedPath, 'utf8')) as EmulatorSeed;
  const token = seed.tokens?.[0]?.token;
  if (token === undefined) throw new Error(`${seedPath} declares no token`);
  const emulator = new DopplerEmulator(seed);
  const url = await emulator.start();
  watchSeed(seedPath, emulator);
  return { emulator, url, token, seedPath };
}

/** Applies edits of the seed file to the running emulator, so a refresh can be watched live. */
function watchSeed(seedPath: string, emulator: DopplerEmulator): void {
  const watcher = watchFile(seedPath, { interval: 500, persistent: false }, () => {
    try {
      const seed = JSON.parse(readFileSync(seedPath, 'utf8')) as EmulatorSeed;
      for (const [project, { configs }] of Object.entries(seed.projects)) {
        for (const [config, { secrets }] of Object.entries(configs))
          emulator.setSecrets(project, config, secrets ?? {});
      }
    } catch {
      // A half-saved or invalid file: keep serving what was there; the next save retries.
    }
  });
  watcher.unref();
  process.once('exit', () => unwatchFile(seedPath));
}
