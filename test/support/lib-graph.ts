import { readFileSync } from 'node:fs';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { resolveRelative } from './resolve-relative.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The files of the repository reachable from some entries, and the packages they import. */
export interface LibGraph {
  /** Absolute paths of the reachable .ts files. */
  readonly files: Set<string>;
  /** Every bare specifier, with every file (relative to the repository) that imports it. */
  readonly packages: Map<string, string[]>;
}

/**
 * Walks the relative imports from `entries` (paths relative to the repository). preProcessFile
 * lists import/export-from declarations, `import type` included, and (with the third flag)
 * dynamic import() and require() calls.
 */
export function libGraph(entries: readonly string[]): LibGraph {
  const files = new Set<string>();
  const packages = new Map<string, string[]>();
  const queue = entries.map((entry) => resolve(ROOT, entry));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (specifier.startsWith('.')) queue.push(resolveRelative(file, specifier));
      else packages.set(specifier, [...(packages.get(specifier) ?? []), relative(ROOT, file)]);
    }
  }
  return { files, packages };
}

/** dir/node_modules: every package the repository installed, linked one by one (the bins through their package). */
export async function linkPackages(dir: string): Promise<void> {
  const from = join(ROOT, 'node_modules');
  const to = join(dir, 'node_modules');
  await mkdir(to);
  for (const entry of await readdir(from)) {
    if (entry.startsWith('.')) continue;
    if (!entry.startsWith('@')) {
      await symlink(join(from, entry), join(to, entry));
      continue;
    }
    await mkdir(join(to, entry));
    for (const scoped of await readdir(join(from, entry))) {
      await symlink(join(from, entry, scoped), join(to, entry, scoped));
    }
  }
}
