/**
 * @nestjs/terminus, @nestjs/config and @opentelemetry/api are optional peer dependencies: only the
 * `nestjs-doppler/health` and `nestjs-doppler/config` entry points may need the first two, and the
 * main entry reaches the third only through one guarded dynamic import() at boot
 * (lib/telemetry/otel-api.ts). Two proofs that the main entry does not need them:
 *
 * 1. statically: every module reachable from lib/index.ts through import, export-from and
 *    import() (type-only imports included, since a declaration file that names Terminus
 *    breaks the types of an app without it) is listed, and none names Terminus or @nestjs/config
 *    (and only the loader names @opentelemetry/api, in a dynamic import());
 * 2. at runtime, without a loader or mock: exactly those files are compiled into a
 *    directory whose node_modules holds every installed package except these three, and a
 *    plain `node` loads the main entry from there (and the telemetry loader finds nothing and
 *    does not throw), while the health and config entries fail for want of their peer (so the
 *    check can fail). Twice, as the package ships both: compiled
 *    to ES modules and loaded with import(), and compiled to CommonJS (the build require() and
 *    Jest load, and that the ES module entry points re-export) and loaded with require().
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libGraph, linkPackages, type LibGraph } from './support/lib-graph.js';
import { transpileFiles } from './support/transpile-files.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OPTIONAL_PEERS = ['@nestjs/terminus', '@nestjs/config', '@opentelemetry/api'];
/** The one file that may name @opentelemetry/api, in a dynamic import() it guards. */
const OTEL_LOADER = 'lib/telemetry/otel-api.ts';
const names = (specifier: string, pkg: string) => specifier === pkg || specifier.startsWith(`${pkg}/`);

const walked = new Map<string, LibGraph>();

/** The graph of `entry`, walked once per file run (the tests ask for the same entries many times). */
function walk(entry: string): LibGraph {
  const known = walked.get(entry);
  if (known !== undefined) return known;
  const graph = libGraph([entry]);
  walked.set(entry, graph);
  return graph;
}

const importersOf = (graph: LibGraph, pkg: string) =>
  [...graph.packages].filter(([specifier]) => names(specifier, pkg)).flatMap(([, files]) => files);

describe('optional peers: the import graph', () => {
  const main = walk('lib/index.ts');

  it('is the whole library, not an empty walk', () => {
    const reached = [...main.files].map((f) => relative(ROOT, f));
    expect(reached).toContain('lib/secrets.service.ts');
    expect(reached).toContain('lib/doppler.module.ts');
    expect(reached.length).toBeGreaterThan(20);
    expect(main.packages.has('@nestjs/common')).toBe(true);
  });

  it.each(OPTIONAL_PEERS.filter((p) => p !== '@opentelemetry/api'))(
    'never reaches %s from the main entry',
    (pkg) => {
      expect(importersOf(main, pkg)).toEqual([]);
      expect([...main.files].filter((f) => f.includes('/lib/health/') || f.includes('/lib/config/'))).toEqual(
        [],
      );
    },
  );

  it('reaches @opentelemetry/api only from its guarded loader, by a dynamic import()', () => {
    expect(importersOf(main, '@opentelemetry/api')).toEqual([OTEL_LOADER]);
    const loader = readFileSync(resolve(ROOT, OTEL_LOADER), 'utf8');
    // No static import, no export-from, no import type: only the call, inside a catch.
    expect(loader).not.toMatch(/^\s*(import|export)\b[^(]*['"]@opentelemetry\/api['"]/m);
    expect(loader).toMatch(/import\('@opentelemetry\/api'\)\.then\(/);
  });

  it.each([
    'fastify',
    '@nestjs/platform-fastify',
    '@nestjs/platform-express',
    'express',
    'typeorm',
    'prisma',
    '@prisma/client',
    'pg',
  ])("never reaches %s from any entry: the HTTP platform and the ORM stay the app's choice", (pkg) => {
    for (const entry of [
      'lib/index.ts',
      'lib/testing/index.ts',
      'lib/health/index.ts',
      'lib/config/index.ts',
    ]) {
      expect(importersOf(walk(entry), pkg), entry).toEqual([]);
    }
  });

  it('reaches them from their own entry points (so the walk can see them)', () => {
    expect(importersOf(walk('lib/health/index.ts'), '@nestjs/terminus')).not.toEqual([]);
    expect(importersOf(walk('lib/config/index.ts'), '@nestjs/config')).not.toEqual([]);
    // Each subpath needs only its own peer.
    expect(importersOf(walk('lib/health/index.ts'), '@nestjs/config')).toEqual([]);
    expect(importersOf(walk('lib/config/index.ts'), '@nestjs/terminus')).toEqual([]);
  });
});

interface ModuleFormat {
  /** How the test names it. */
  readonly name: string;
  /** Output directory under the temp dir; it gets its own package.json "type". */
  readonly dir: 'esm' | 'cjs';
  readonly module: 'ESNext' | 'CommonJS';
  /**
   * A `node -e` script that loads each of the JSON array of paths in argv[1], one after the other
   * (a failed load leaves nothing behind for the next), then calls the telemetry loader, and
   * prints what each gave as JSON.
   */
  readonly script: string[];
  /** How Node says a package is missing, for this loader. */
  readonly missing: (pkg: string) => string;
}

/** The body shared by both loaders: `load` is import() or require(). */
const LOAD_EACH = `
  const OTEL_LOADER = './lib/telemetry/otel-api.js';
  const outcomes = {};
  for (const path of JSON.parse(process.argv[1])) {
    try {
      outcomes[path] = { ok: true, out: JSON.stringify(Object.keys(await load(path))) };
    } catch (error) {
      outcomes[path] = { ok: false, out: String(error && error.message) };
    }
  }
  try {
    const { loadOtelApi } = await load(OTEL_LOADER);
    outcomes[OTEL_LOADER] = { ok: true, out: JSON.stringify({ result: (await loadOtelApi()) ?? null }) };
  } catch (error) {
    outcomes[OTEL_LOADER] = { ok: false, out: String(error && error.stack) };
  }
  console.log(JSON.stringify(outcomes));
`;

const FORMATS: readonly ModuleFormat[] = [
  {
    name: 'ES modules, import()',
    dir: 'esm',
    module: 'ESNext',
    script: [
      '--import',
      'reflect-metadata',
      '--input-type=module',
      '-e',
      `const load = (path) => import(path);${LOAD_EACH}`,
    ],
    missing: (pkg) => `Cannot find package '${pkg}'`,
  },
  {
    name: 'CommonJS, require()',
    dir: 'cjs',
    module: 'CommonJS',
    script: [
      '--require',
      'reflect-metadata',
      '--input-type=commonjs',
      '-e',
      `(async () => { const load = async (path) => require(path);${LOAD_EACH} })();`,
    ],
    missing: (pkg) => `Cannot find module '${pkg}'`,
  },
];

/** What each check loads, in the one process per format. */
const PATHS = [
  '@nestjs/terminus',
  '@opentelemetry/api',
  './lib/index.js',
  './lib/health/index.js',
  './lib/config/index.js',
];

/** What loading each path gave, by path, in the one node process of a format. */
type Outcomes = Record<string, { ok: boolean; out: string }>;

/**
 * Compiles the graph of the entries into dir/<format>/lib, as tsc would (decorator metadata
 * included), and loads every path of PATHS there with one plain node process.
 */
async function loadWithoutPeers(dir: string, format: ModuleFormat): Promise<Outcomes> {
  await mkdir(join(dir, format.dir));
  const type = format.dir === 'esm' ? 'module' : 'commonjs';
  await writeFile(join(dir, format.dir, 'package.json'), JSON.stringify({ type, private: true }));
  const { options } = ts.convertCompilerOptionsFromJson(
    {
      target: 'ES2022',
      module: format.module,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      isolatedModules: true,
      useDefineForClassFields: true,
    },
    ROOT,
  );
  const entries = ['lib/index.ts', 'lib/health/index.ts', 'lib/config/index.ts'];
  const files = new Set(entries.flatMap((entry) => [...walk(entry).files]));
  for (const [file, outputText] of transpileFiles(files, options)) {
    const out = join(dir, format.dir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
  // One plain node process loads every path: starting Node and Nest once, not five times.
  const { stdout } = await promisify(execFile)(process.execPath, [...format.script, JSON.stringify(PATHS)], {
    cwd: join(dir, format.dir),
    timeout: 20_000,
  });
  return JSON.parse(stdout) as Outcomes;
}

let dir = '';
const outcomes = new Map<ModuleFormat, Outcomes>();

// Both formats share one directory of links; the first format's node process runs while the
// second is compiled.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nestjs-doppler-peers-'));
  await linkPackages(dir, OPTIONAL_PEERS);
  const loaded = await Promise.all(FORMATS.map((format) => loadWithoutPeers(dir, format)));
  FORMATS.forEach((format, i) => outcomes.set(format, loaded[i]));
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(FORMATS)(
  'optional peers: loading with plain node, without them installed ($name)',
  (format) => {
    /** What loading `path` gave, in the one node process of this format. */
    function load(path: string): { ok: boolean; out: string } {
      const outcome = outcomes.get(format)?.[path];
      if (outcome === undefined) throw new Error(`${path} was not loaded`);
      return outcome;
    }

    it.each(['@nestjs/terminus', '@opentelemetry/api'])('%s is really missing there', (pkg) => {
      const { ok, out } = load(pkg);
      expect(ok).toBe(false);
      expect(out).toContain(format.missing(pkg));
    });

    it('the telemetry loader finds no @opentelemetry/api there, and says so without throwing', () => {
      const { ok, out } = load('./lib/telemetry/otel-api.js');
      expect(out).not.toContain('Error');
      expect(ok).toBe(true);
      expect(JSON.parse(out)).toEqual({ result: null });
    });

    it("loads 'nestjs-doppler' (lib/index.js)", () => {
      const { ok, out } = load('./lib/index.js');
      expect(out).not.toContain('Cannot find');
      expect(ok).toBe(true);
      const exported = JSON.parse(out) as string[];
      expect(exported).toEqual(expect.arrayContaining(['DopplerModule', 'SecretsService', 'Secret']));
    });

    it.each([
      ['./lib/health/index.js', '@nestjs/terminus'],
      ['./lib/config/index.js', '@nestjs/config'],
    ])('%s fails for want of %s, and nothing else', (path, pkg) => {
      const { ok, out } = load(path);
      expect(ok).toBe(false);
      expect(out).toContain(format.missing(pkg));
    });
  },
);
