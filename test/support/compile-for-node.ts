import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformWithOxc } from 'vite';
import { libGraph } from './lib-graph.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Transpiles the lib files reachable from `entries` into a fresh directory that a plain `node`
 * child process can import from, with the project's node_modules linked in. For tests that need a
 * process of their own, e.g. one started with NODE_DEBUG. Each file is transformed on its own by
 * the transformer Vitest runs the tests through (Vite's, native), legacy decorators and their
 * metadata included: milliseconds, where a TypeScript program over the graph takes seconds in a
 * cold process. What tsc itself emits (the shipped build) is the optional-peers spec's concern.
 *
 * @returns the directory; `<dir>/lib/...js` mirrors `lib/...ts`
 */
export async function compileForNode(entries: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nestjs-doppler-child-'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const { files } = libGraph(entries);
  for (const file of files) {
    const { code } = await transformWithOxc(readFileSync(file, 'utf8'), file, {
      lang: 'ts',
      target: 'es2022',
      decorator: { legacy: true, emitDecoratorMetadata: true },
    });
    const out = join(dir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, code);
  }
  return dir;
}
