import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSync, transformWithOxc } from 'vite';
import { resolveRelative } from './resolve-relative.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The module specifiers a transpiled file loads at run time: imports, re-exports, import("..."). */
function runtimeImports(file: string, code: string): string[] {
  const { module } = parseSync(file.replace(/\.ts$/, '.js'), code);
  const dynamic = module.dynamicImports
    .map(({ moduleRequest }) => code.slice(moduleRequest.start, moduleRequest.end))
    .filter((text) => /^(['"`])[^'"`$]*\1$/.test(text))
    .map((text) => text.slice(1, -1));
  return [
    ...module.staticImports.map((entry) => entry.moduleRequest.value),
    ...module.staticExports.flatMap((entry) => entry.entries.flatMap((e) => e.moduleRequest?.value ?? [])),
    ...dynamic,
  ];
}

/**
 * Transpiles the lib files reachable from `entries` into a fresh directory that a plain `node`
 * child process can import from, with the project's node_modules linked in. For tests that need a
 * process of their own, e.g. one started with NODE_DEBUG. Each file is transformed on its own by
 * the transformer Vitest runs the tests through (Vite's, native), legacy decorators and their
 * metadata included: milliseconds, where a TypeScript program over the graph takes seconds in a
 * cold process. The files are found from what each transpiled file imports (so not the ones only
 * its types come from), with Vite's parser: loading TypeScript's compiler for its import scanner
 * cost a worker that had not loaded it yet a second or more. What tsc itself emits (the shipped
 * build) is the optional-peers spec's concern.
 *
 * @returns the directory; `<dir>/lib/...js` mirrors `lib/...ts`
 */
export async function compileForNode(entries: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nestjs-doppler-child-'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const done = new Set<string>();
  const queue = entries.map((entry) => resolve(ROOT, entry));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (done.has(file)) continue;
    done.add(file);
    const { code } = await transformWithOxc(readFileSync(file, 'utf8'), file, {
      lang: 'ts',
      target: 'es2022',
      decorator: { legacy: true, emitDecoratorMetadata: true },
    });
    for (const specifier of runtimeImports(file, code)) {
      if (specifier.startsWith('.')) queue.push(resolveRelative(file, specifier));
    }
    const out = join(dir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, code);
  }
  return dir;
}
