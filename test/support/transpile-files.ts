import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where the program believes it writes; nothing is written there, the output stays in memory. */
const VIRTUAL_OUT = join(ROOT, '.transpiled');

const emitted = new Map<string, ReadonlyMap<string, string>>();

/**
 * The JavaScript tsc would emit for each of `files` (absolute paths of the repository's .ts
 * files), without a type check: one program over all of them, which is several times faster than
 * `ts.transpileModule` file by file, and serializes decorator metadata of types declared in those
 * files as tsc does (packages are not resolved: their types become `Object`, as in
 * transpileModule). Memoized per set of files and options, for tests that compile the same graph
 * more than once.
 *
 * @returns the emitted text by source path
 */
export function transpileFiles(
  files: Iterable<string>,
  compilerOptions: ts.CompilerOptions,
): ReadonlyMap<string, string> {
  const roots = [...new Set(files)].sort();
  const key = JSON.stringify([roots, compilerOptions]);
  const known = emitted.get(key);
  if (known !== undefined) return known;
  const options: ts.CompilerOptions = {
    ...compilerOptions,
    noResolve: true,
    noLib: true,
    noCheck: true,
    types: [],
    declaration: false,
    sourceMap: false,
    noEmitOnError: false,
    rootDir: ROOT,
    outDir: VIRTUAL_OUT,
  };
  const bySource = new Map<string, string>();
  const program = ts.createProgram(roots, options);
  program.emit(undefined, (outFile, text) => {
    bySource.set(join(ROOT, relative(VIRTUAL_OUT, outFile)).replace(/\.js$/, '.ts'), text);
  });
  const missing = roots.filter((file) => !bySource.has(file));
  if (missing.length > 0) throw new Error(`tsc emitted nothing for ${missing.join(', ')}`);
  emitted.set(key, bySource);
  return bySource;
}
