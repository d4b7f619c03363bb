import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The .ts file a relative import in `from` names (`./x.js`, `./x` or `./x/index`). */
export function resolveRelative(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new Error(`${relative(ROOT, from)} imports ${specifier}, not found`);
  return found;
}
