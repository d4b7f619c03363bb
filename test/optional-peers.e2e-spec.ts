/**
 * @nestjs/terminus, @nestjs/config and @opentelemetry/api are optional peer dependencies: only the
 * `nestjs-doppler/health` and `nestjs-doppler/config` entry points may need the first two, and the
 * main entry reaches the third only through one guarded dynamic import() at boot
 * (lib/telemetry/otel-api.ts). Here, the proof on the sources: every module reachable from
 * lib/index.ts through import, export-from and import() (type-only imports included, since a
 * declaration file that names Terminus breaks the types of an app without it) is listed, and none
 * names Terminus or @nestjs/config (and only the loader names @opentelemetry/api, in a dynamic
 * import()).
 *
 * The proof at runtime is on what ships: scripts/compat-check.sh installs the packed tarball in an
 * app without these three packages and runs scripts/compat/optional-peers.mjs there, by import()
 * (the ES module entries) and by require() (the CommonJS build): the main and testing entries load
 * and an application context boots against the emulator, while /health and /config fail naming
 * their peer.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { libGraph, type LibGraph } from './support/lib-graph.js';

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
