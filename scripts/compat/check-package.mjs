// Asserts what the published tarball holds, from `npm pack --dry-run --json` and the packed
// tarball extracted to a directory: the CommonJS build (dist/cjs: .js, .d.ts, .js.map and its
// {"type": "commonjs"} package.json), the ES module entry points that re-export it (dist/esm:
// exactly the files package.json "exports" names for import), the TypeScript sources the source
// maps point to, README, LICENSE and package.json; nothing else.
//
// usage: node scripts/compat/check-package.mjs <npm-pack-dry-run.json> <extracted-package-dir>
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, normalize, posix, relative, sep } from 'node:path';
import process from 'node:process';

/** @typedef {{ path: string; size: number }} PackedFile */
/** @typedef {{ name: string; size: number; unpackedSize: number; entryCount: number; files: PackedFile[] }} PackResult */
/** @typedef {{ version: number; file?: string; sourceRoot?: string; sources: string[] }} SourceMap */

/** @param {string} path @returns {unknown} */
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

const [listingPath, packageDir] = process.argv.slice(2);
if (!listingPath || !packageDir) {
  process.stderr.write(
    'usage: node scripts/compat/check-package.mjs <npm-pack-dry-run.json> <extracted-package-dir>\n',
  );
  process.exit(2);
}

const results = /** @type {PackResult[]} */ (readJson(listingPath));
const pack = results[0];
if (!pack) throw new Error(`${listingPath} holds no npm pack result`);
const listed = pack.files.map((file) => file.path).sort();
const inPackage = new Set(listed);

/** @type {string[]} */
const problems = [];

// 1. Only these kinds of files: the built library, its sources (for the maps), the docs.
const allowed = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^dist\/cjs\/package\.json$/,
  /^dist\/cjs\/.+\.(js|d\.ts|js\.map)$/,
  /^dist\/esm\/.+\.(js|d\.ts)$/,
  /^lib\/.+\.ts$/,
];
/** @type {[RegExp, string][]} */
const forbidden = [
  [/\.(spec|e2e-spec|test)\.[cm]?[jt]s(\.map)?$/, 'a test file'],
  [/(^|\/)(test|tests|__tests__|sample-app|scripts|coverage|node_modules)\//, 'not part of the library'],
  [/^lib\/.+\.d\.ts$/, 'a declaration file outside dist'],
  [/(^|\/)(\.env[^/]*|\.doppler[^/]*|[^/]+\.tgz|tsconfig[^/]*\.json)$/, 'a local or build-only file'],
];
for (const path of listed) {
  const reason = forbidden.find(([pattern]) => pattern.test(path))?.[1];
  if (reason) problems.push(`${path}: ${reason}`);
  else if (!allowed.some((pattern) => pattern.test(path))) problems.push(`${path}: not an expected file`);
}
for (const required of ['package.json', 'README.md', 'LICENSE']) {
  if (!inPackage.has(required)) problems.push(`${required}: missing`);
}

// 2. Every output has its declaration, map and source; every source its output (no stale file).
const shipsSources = listed.some((path) => /^lib\/.+(?<!\.spec)\.ts$/.test(path));
if (!shipsSources) {
  problems.push(
    'no lib/**/*.ts in the package: the source maps point to them (keep "lib/**/*.ts" in "files")',
  );
}
for (const path of listed) {
  const built = /^dist\/cjs\/(.+?)(\.js|\.d\.ts|\.js\.map)$/.exec(path);
  if (built) {
    const stem = built[1];
    for (const sibling of [`dist/cjs/${stem}.js`, `dist/cjs/${stem}.d.ts`, `dist/cjs/${stem}.js.map`]) {
      if (!inPackage.has(sibling)) problems.push(`${path}: ${sibling} is missing`);
    }
    if (shipsSources && !inPackage.has(`lib/${stem}.ts`)) {
      problems.push(`${path}: no lib/${stem}.ts (stale build output? rm -rf dist/cjs && npm run build:lib)`);
    }
  }
  const source = /^lib\/(.+)\.ts$/.exec(path);
  if (source && !source[1].endsWith('.d') && !inPackage.has(`dist/cjs/${source[1]}.js`)) {
    problems.push(`${path}: shipped without dist/cjs/${source[1]}.js`);
  }
}

// 3. The tarball holds exactly what the dry run listed.
/** @param {string} dir @returns {string[]} */
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [relative(packageDir, full).split(sep).join('/')];
  });
}
const extracted = walk(packageDir).sort();
for (const path of extracted)
  if (!inPackage.has(path)) problems.push(`${path}: in the tarball, not in the dry run`);
for (const path of listed)
  if (!extracted.includes(path)) problems.push(`${path}: in the dry run, not in the tarball`);

// 4. Source maps resolve inside the package: the map each .js names, and the sources each map names.
for (const path of listed.filter((p) => p.endsWith('.js'))) {
  const code = readFileSync(join(packageDir, path), 'utf8');
  const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(code)?.[1];
  if (url && !inPackage.has(posix.join(posix.dirname(path), url))) {
    problems.push(`${path}: sourceMappingURL ${url} is not in the package`);
  }
}
for (const path of listed.filter((p) => p.endsWith('.js.map'))) {
  const map = /** @type {SourceMap} */ (readJson(join(packageDir, path)));
  for (const source of map.sources) {
    const resolved = posix.normalize(posix.join(posix.dirname(path), map.sourceRoot ?? '', source));
    if (resolved.startsWith('../') || posix.isAbsolute(resolved)) {
      problems.push(`${path}: source ${source} points outside the package`);
    } else if (!inPackage.has(resolved)) {
      problems.push(`${path}: source ${source} (${resolved}) is not in the package`);
    }
  }
}

// 5. Every file package.json points at is shipped; the CLI is runnable.
/** @typedef {{ type?: string; main?: string; types?: string; bin?: Record<string, string>; exports?: unknown; typesVersions?: Record<string, Record<string, string[]>> }} Manifest */
const manifest = /** @type {Manifest} */ (readJson(join(packageDir, 'package.json')));
if (manifest.type !== 'module') problems.push('package.json: "type" is not "module"');
if (inPackage.has('dist/cjs/package.json')) {
  const scope = /** @type {{ type?: string }} */ (readJson(join(packageDir, 'dist/cjs/package.json')));
  if (scope.type !== 'commonjs') problems.push('dist/cjs/package.json: "type" is not "commonjs"');
} else {
  problems.push('dist/cjs/package.json: missing (Node would read dist/cjs as ES modules)');
}
/** @param {unknown} target @returns {string[]} */
function targets(target) {
  if (typeof target === 'string') return [target];
  if (target && typeof target === 'object') return Object.values(target).flatMap(targets);
  return [];
}
const pointers = [
  manifest.main,
  manifest.types,
  ...Object.values(manifest.bin ?? {}),
  ...targets(manifest.exports),
  ...targets(manifest.typesVersions),
];
for (const pointer of pointers) {
  if (pointer === undefined) continue;
  const path = normalize(pointer).split(sep).join('/');
  if (!inPackage.has(path)) problems.push(`package.json points at ${pointer}, which is not in the package`);
}
// dist/esm holds the ES module entry points, each re-exporting its CommonJS entry: exactly the
// files the "import" conditions name (a stale wrapper would re-export a module that is gone).
/** @param {unknown} target @returns {string[]} */
function importTargets(target) {
  if (!target || typeof target !== 'object') return [];
  return Object.entries(target).flatMap(([key, value]) =>
    key === 'import' ? targets(value) : importTargets(value),
  );
}
const esmEntries = new Set(importTargets(manifest.exports).map((p) => normalize(p).split(sep).join('/')));
for (const path of listed.filter((p) => p.startsWith('dist/esm/'))) {
  if (!esmEntries.has(path)) problems.push(`${path}: in dist/esm, but no "import" condition names it`);
}
for (const path of listed.filter((p) => /^dist\/esm\/.+\.js$/.test(p))) {
  const code = readFileSync(join(packageDir, path), 'utf8');
  const from = /^import cjs from '([^']+)';$/m.exec(code)?.[1];
  if (from === undefined) problems.push(`${path}: does not import its CommonJS entry`);
  else if (!inPackage.has(posix.join(posix.dirname(path), from))) {
    problems.push(`${path}: imports ${from}, which is not in the package`);
  } else if (!posix.join(posix.dirname(path), from).startsWith('dist/cjs/')) {
    problems.push(`${path}: imports ${from}, outside dist/cjs`);
  }
}
for (const bin of Object.values(manifest.bin ?? {})) {
  const file = join(packageDir, bin);
  if (existsSync(file) && !readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n')) {
    problems.push(`${bin}: the bin has no "#!/usr/bin/env node" line`);
  }
}

// 6. The declarations publish no internals: tsconfig.build.json strips what is marked `@internal`,
// and no class exposes a member keyed by a symbol (a back door a user could reach through the types).
for (const path of listed.filter((p) => p.endsWith('.d.ts'))) {
  const text = readFileSync(join(packageDir, path), 'utf8');
  if (text.includes('@internal')) problems.push(`${path}: declares something marked @internal`);
  const symbolKey = /^\s*(?:readonly\s+)?\[[A-Za-z_$][\w$]*\]\s*[(:?<]/m.exec(text);
  if (symbolKey) problems.push(`${path}: a member keyed by a symbol: ${symbolKey[0].trim()}`);
}

const cjsFiles = listed.filter((p) => p.startsWith('dist/cjs/'));
const kinds = {
  js: cjsFiles.filter((p) => p.endsWith('.js')).length,
  dts: cjsFiles.filter((p) => p.endsWith('.d.ts')).length,
  maps: cjsFiles.filter((p) => p.endsWith('.js.map')).length,
  esm: listed.filter((p) => /^dist\/esm\/.+\.js$/.test(p)).length,
  sources: listed.filter((p) => p.startsWith('lib/')).length,
};
const kb = (/** @type {number} */ bytes) => `${(bytes / 1024).toFixed(1)} kB`;
process.stdout.write(
  `${pack.name}: ${pack.entryCount} files (dist/cjs: ${kinds.js} .js, ${kinds.dts} .d.ts, ${kinds.maps} .js.map; ` +
    `dist/esm: ${kinds.esm} entry points with their .d.ts; ${kinds.sources} lib/*.ts sources, README, LICENSE, ` +
    `package.json), ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked\n`,
);
if (problems.length > 0) {
  const shown = problems.slice(0, 40);
  if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
  process.stderr.write(`package contents: ${problems.length} problem(s):\n  - ${shown.join('\n  - ')}\n`);
  process.exit(1);
}
process.stdout.write('package contents: ok\n');
