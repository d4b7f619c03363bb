import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { asOpenApiDocument, describeDocument, type OpenApiDocument } from './openapi-document.js';
import { readTarEntry } from './tar-entry.js';

/**
 * Where Doppler's OpenAPI document comes from: the npm package `@dopplerhq/mcp-server`
 * (Apache-2.0) ships it as `doppler-openapi.json`. It is read from the package at check time and
 * never copied into this repository. The version and the tarball's integrity are pinned, so the
 * check always reads the same document; moving to a newer one is a deliberate change here.
 */
export const OPENAPI_PACKAGE = {
  name: '@dopplerhq/mcp-server',
  version: '1.0.5',
  integrity:
    'sha512-q0h8w3DWwFJwjNElNMOIqRP2D5jV7vpTbowvLeB9EQJnrJ6VEkDyUAkNfSHupe86xZDUZX2TDsftmJaws1wZAw==',
  tarball: 'dopplerhq-mcp-server-1.0.5.tgz',
  entry: 'package/doppler-openapi.json',
} as const;

/** The document, or why it could not be had. */
export type DocumentSource =
  | { readonly ok: true; readonly document: OpenApiDocument; readonly origin: string }
  | { readonly ok: false; readonly reason: string };

/** How to look for the document. */
export interface DocumentSourceOptions {
  /** Run `npm pack` when the tarball is not cached yet. */
  readonly allowNetwork: boolean;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

/**
 * Finds the document: `DOPPLER_OPENAPI_DOCUMENT` (a path to the JSON file, for machines without a
 * registry), else the tarball cached in `DOPPLER_OPENAPI_CACHE_DIR`
 * (default `node_modules/.cache/nestjs-doppler-contract`), else `npm pack` into that cache.
 * Never throws: a missing document is a reason, which the caller turns into a skip or a failure.
 */
export async function loadDopplerOpenApiDocument(options: DocumentSourceOptions): Promise<DocumentSource> {
  const env = options.env ?? process.env;
  try {
    const explicit = env.DOPPLER_OPENAPI_DOCUMENT;
    if (explicit) {
      return parsed(readFileSync(explicit, 'utf8'), explicit);
    }
    const cacheDir =
      env.DOPPLER_OPENAPI_CACHE_DIR || join(REPO_ROOT, 'node_modules/.cache/nestjs-doppler-contract');
    const tarball = join(cacheDir, OPENAPI_PACKAGE.tarball);
    if (existsSync(tarball) && integrityOf(readFileSync(tarball)) !== OPENAPI_PACKAGE.integrity) {
      rmSync(tarball);
    }
    if (!existsSync(tarball)) {
      if (!options.allowNetwork) {
        return { ok: false, reason: `${tarball} is not cached and fetching is off` };
      }
      await packInto(cacheDir, tarball);
    }
    const bytes = readFileSync(tarball);
    if (integrityOf(bytes) !== OPENAPI_PACKAGE.integrity) {
      rmSync(tarball);
      return { ok: false, reason: `${OPENAPI_PACKAGE.tarball} does not have the pinned integrity` };
    }
    const entry = readTarEntry(bytes, OPENAPI_PACKAGE.entry);
    if (entry === undefined) {
      return { ok: false, reason: `${OPENAPI_PACKAGE.tarball} holds no ${OPENAPI_PACKAGE.entry}` };
    }
    return parsed(entry.toString('utf8'), `${tarball}:${OPENAPI_PACKAGE.entry}`);
  } catch (error: unknown) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** One line saying which document was read, for logs. */
export function describeSource(source: DocumentSource): string {
  return source.ok ? `${describeDocument(source.document)} from ${source.origin}` : source.reason;
}

// Packed into a private directory, then renamed: a concurrent run never reads half a tarball.
async function packInto(cacheDir: string, tarball: string): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  const staging = mkdtempSync(join(cacheDir, 'pack-'));
  try {
    const spec = `${OPENAPI_PACKAGE.name}@${OPENAPI_PACKAGE.version}`;
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    try {
      await run(npm, ['pack', spec, '--pack-destination', staging, '--silent', '--fetch-retries=1'], {
        timeout: 120_000,
        shell: process.platform === 'win32',
      });
    } catch (error: unknown) {
      const stderr = (error as { stderr?: string }).stderr?.trim().split('\n').at(-1) ?? '';
      throw new Error(`npm pack ${spec} failed${stderr ? `: ${stderr}` : ''}`);
    }
    renameSync(join(staging, OPENAPI_PACKAGE.tarball), tarball);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function integrityOf(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

function parsed(text: string, origin: string): DocumentSource {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: `${origin} is not valid JSON` };
  }
  return { ok: true, document: asOpenApiDocument(json), origin };
}
