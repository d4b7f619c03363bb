import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { transformWithOxc } from 'vite';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function resolveRelative(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  const found = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')].find((c) =>
    existsSync(c),
  );
  if (found === undefined) throw new Error(`${relative(ROOT, from)} imports ${specifier}, not found`);
  return found;
}

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
  const files = new Set<string>();
  const queue = entries.map((entry) => resolve(ROOT, entry));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
      if (fileName.startsWith('.')) queue.push(resolveRelative(file, fileName));
    }
  }
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
