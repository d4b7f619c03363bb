import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEmulatorContract, staleExclusions } from '../../scripts/contract/check-emulator-contract.js';
import { planContractCases } from '../../scripts/contract/contract-cases.js';
import { undocumentedEndpoint } from '../../scripts/contract/contract-exclusions.js';
import {
  contractFixture,
  type ContractFixture,
  type ContractRoute,
} from '../../scripts/contract/contract-fixture.js';
import { describeSource, loadDopplerOpenApiDocument } from '../../scripts/contract/doppler-openapi-source.js';
import { validateJson } from '../../scripts/contract/json-schema-subset.js';
import { findOperation, type OpenApiDocument } from '../../scripts/contract/openapi-document.js';
import { readTarEntry } from '../../scripts/contract/tar-entry.js';
import { DopplerEmulator } from './doppler-emulator.js';
import { EMULATOR_ROUTES } from './emulator-routes.js';

// The document is read from the @dopplerhq/mcp-server tarball (cached after the first run). Where
// it cannot be had (no registry, no cache) these checks are skipped, unless the run requires them:
// scripts/contract/check-emulator-contract.sh, run by scripts/compat-check.sh in CI, sets
// DOPPLER_CONTRACT_REQUIRED=1 so that a missing document fails instead.
const source = await loadDopplerOpenApiDocument({
  allowNetwork: process.env.DOPPLER_CONTRACT_OFFLINE !== '1',
});
const required = process.env.DOPPLER_CONTRACT_REQUIRED === '1';
const document: OpenApiDocument | undefined = source.ok ? source.document : undefined;
if (!source.ok && !required) {
  console.warn(
    `Skipping the emulator contract check: Doppler's OpenAPI document is not available (${source.reason}). ` +
      'Run bash scripts/contract/check-emulator-contract.sh to fetch it and run the check.',
  );
}
const served: ContractRoute[] = EMULATOR_ROUTES.map(({ method, path }) => ({ method, path }));
// The watch stream, should the emulator serve it, is excluded: Doppler's document does not describe it.
const excluded = served.filter((route) => undocumentedEndpoint(route.method, route.path) !== undefined);
const checked = served.filter((route) => !excluded.includes(route));

describe('the OpenAPI document', () => {
  it.runIf(required)('is available when the contract check is required', () => {
    expect(describeSource(source)).toMatch(/^core 4 \(OpenAPI 3\.1\.0, 76 paths, 127 operations\) from /);
  });
});

describe.skipIf(document === undefined)("the emulator against Doppler's OpenAPI document", () => {
  // Built in the hook: a skipped suite's body still runs, without a document to build from.
  let doc: OpenApiDocument;
  let fixture: ContractFixture;
  let emulator: DopplerEmulator;
  let baseUrl: string;

  beforeAll(async () => {
    doc = document as OpenApiDocument;
    fixture = contractFixture(doc, served);
    emulator = new DopplerEmulator(fixture.seed);
    baseUrl = await emulator.start();
  });
  afterAll(() => emulator?.stop());

  it('serves only documented endpoints, or ones excluded with a reason that still holds', () => {
    const undocumented = served.filter(
      (route) =>
        findOperation(doc, route.method, route.path) === undefined &&
        undocumentedEndpoint(route.method, route.path) === undefined,
    );
    expect(undocumented).toEqual([]);
    expect(staleExclusions(doc)).toEqual([]);
  });

  it.each(checked.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s answers as the document says',
    async (_label, route) => {
      const [report] = await checkEmulatorContract({ document: doc, routes: [route], baseUrl, fixture });
      expect(report?.problems).toEqual([]);
      // Every documented parameter got at least one valid and (where constrained) one invalid request.
      const parameters = findOperation(doc, route.method, route.path)?.operation.parameters ?? [];
      expect(report?.outcomes.length).toBeGreaterThan(parameters.length + 2);
    },
  );

  it.each(excluded.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s is not checked: it is excluded as undocumented',
    async (_label, route) => {
      const [report] = await checkEmulatorContract({ document: doc, routes: [route], baseUrl, fixture });
      expect(report?.excluded).toBe(undocumentedEndpoint(route.method, route.path)?.reason);
      expect(findOperation(doc, route.method, route.path)).toBeUndefined();
    },
  );

  it('leaves no token or secret value in the request log while checking', async () => {
    emulator.resetRequests();
    await checkEmulatorContract({ document: doc, routes: served, baseUrl, fixture });
    const log = JSON.stringify(emulator.requests);
    expect(emulator.requestCount).toBeGreaterThan(10);
    expect(log).not.toContain(fixture.serviceToken);
    expect(log).not.toContain(fixture.accountToken);
    expect(log).not.toContain('contract-api-key');
  });
});

describe.skipIf(document === undefined)('the contract check itself', () => {
  const doc = document as OpenApiDocument;
  const download = { method: 'GET', path: '/v3/configs/config/secrets/download' };
  const names = { method: 'GET', path: '/v3/configs/config/secrets/names' };

  // A server that drifted every way the check looks for: no auth, every parameter ignored, a names
  // answer of the wrong shape, an undocumented content type.
  let drifted: Server;
  let driftedUrl: string;
  beforeAll(async () => {
    drifted = createServer((req, res) => {
      const isNames = req.url?.startsWith(names.path) === true;
      res.writeHead(200, { 'content-type': isNames ? 'application/json' : 'text/html' });
      res.end(isNames ? '{"names":"API_KEY"}' : '{"API_KEY":"x"}');
    });
    await new Promise<void>((resolve) => drifted.listen(0, '127.0.0.1', resolve));
    driftedUrl = `http://127.0.0.1:${(drifted.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => drifted.close(() => resolve())));

  it('reports every kind of drift it checks for', async () => {
    const fixture = contractFixture(doc, [download, names]);
    const reports = await checkEmulatorContract({
      document: doc,
      routes: [
        download,
        names,
        { method: 'GET', path: '/v3/not-documented' },
        { method: 'GET', path: '/v3/configs/config/secrets/watch' },
      ],
      baseUrl: driftedUrl,
      fixture,
    });
    const [downloadReport, namesReport, unknown, watch] = reports;
    const downloadProblems = downloadReport?.problems.join('\n') ?? '';
    expect(downloadProblems).toContain('format=json: content-type "text/html" is not one the document lists');
    expect(downloadProblems).toContain('all 7 documented values of "name_transformer" got the same answer');
    expect(downloadProblems).toContain(
      'name_transformer=not-a-name-transformer (not a documented value): answered 200',
    );
    expect(downloadProblems).toContain(
      'include_dynamic_secrets=maybe (not a documented value): answered 200',
    );
    expect(downloadProblems).toContain('dynamic_secrets_ttl_sec=1.5 (not a documented value): answered 200');
    expect(downloadProblems).toContain('without required "project": answered 200');
    expect(downloadProblems).toContain('no credentials: answered 200');
    expect(namesReport?.problems).toContain('the required parameters: $.names: expected array, got string');
    expect(unknown?.problems).toEqual([
      "GET /v3/not-documented is served but is not in Doppler's OpenAPI document",
    ]);
    expect(watch).toEqual({
      label: 'GET /v3/configs/config/secrets/watch',
      excluded: "the watch stream (server-sent events) is not in Doppler's OpenAPI document",
      outcomes: [],
      problems: [],
    });
  });

  it('builds a request body from the fixture and leaves out each required property', () => {
    const oidc = findOperation(doc, 'POST', '/v3/auth/oidc');
    expect(oidc).toBeDefined();
    const base = { ...contractFixture(doc, []), bodies: {} };
    expect(planContractCases(doc, oidc!, base).problems).toEqual([
      "no valid request body known for auth-oidc: add one to the contract fixture's bodies",
    ]);
    const withBody = { ...base, bodies: { 'auth-oidc': { identity: 'id', token: 'jwt' } } };
    const plan = planContractCases(doc, oidc!, withBody);
    expect(plan.problems).toEqual([]);
    expect(plan.cases.map((c) => [c.title, c.body, c.expect])).toEqual([
      ['the required parameters', { identity: 'id', token: 'jwt' }, 'success'],
      ['every documented parameter at once', { identity: 'id', token: 'jwt' }, 'success'],
      ['body without required "token"', { identity: 'id' }, 'bad-request'],
      ['body without required "identity"', { token: 'jwt' }, 'bad-request'],
    ]);
    const badBody = { ...base, bodies: { 'auth-oidc': { identity: 7 } } };
    expect(planContractCases(doc, oidc!, badBody).problems).toEqual([
      'the fixture\'s body for auth-oidc: $: required property "token" is missing',
      "the fixture's body for auth-oidc: $.identity: expected string, got integer",
    ]);
  });
});

describe('the JSON schema subset validator', () => {
  const names = { type: 'object', properties: { names: { type: 'array', items: { type: 'string' } } } };

  it.each([
    ['a matching object', { names: ['A'] }, names, []],
    ['a wrong property type', { names: 'A' }, names, ['$.names: expected array, got string']],
    ['a wrong item type', { names: ['A', 1] }, names, ['$.names[1]: expected string, got integer']],
    ['a non-object', [], names, ['$: expected object, got array']],
    [
      'a missing required property',
      {},
      { type: 'object', required: ['token'] },
      ['$: required property "token" is missing'],
    ],
    [
      'an undocumented value',
      'yaml2',
      { type: 'string', enum: ['json', 'yaml'] },
      ['$: not one of the 2 documented values'],
    ],
    ['a number for an integer', 1.5, { type: 'integer' }, ['$: expected integer, got number']],
    ['an integer for a number', 2, { type: 'number' }, []],
    ['an int32 overflow', 2 ** 31, { type: 'integer', format: 'int32' }, ['$: outside the int32 range']],
    ['a valid date-time', '2025-01-17T16:46:46.171Z', { type: 'string', format: 'date-time' }, []],
    [
      'an invalid date-time',
      '17/01/2025',
      { type: 'string', format: 'date-time' },
      ['$: not an RFC 3339 date-time'],
    ],
    ['a type list', null, { type: ['string', 'null'] }, []],
    [
      'a closed object',
      { a: 1 },
      { type: 'object', additionalProperties: false },
      ['$.a: not a documented property'],
    ],
    ['annotations only', 'x', { description: 'd', example: 'e', default: 'f' }, []],
    [
      'an unknown keyword',
      'x',
      { oneOf: [] },
      ['$: the schema uses "oneOf", which the contract checker does not validate'],
    ],
    [
      'an unknown format',
      'x',
      { format: 'uuid' },
      ['$: format "uuid" is not validated by the contract checker'],
    ],
  ] as const)('%s', (_label, value, schema, problems) => {
    expect(validateJson(value, schema)).toEqual(problems);
  });
});

describe('the tarball reader', () => {
  it.each([
    ['the default format', []],
    ['pax', ['--format=pax']],
  ])('reads one file out of a .tgz written by tar (%s), with a long path', (_label, options) => {
    const dir = mkdtempSync(join(tmpdir(), 'contract-tar-'));
    const long = `package/${'d'.repeat(120)}`;
    execFileSync('mkdir', ['-p', join(dir, long)]);
    writeFileSync(join(dir, long, 'doc.json'), '{"openapi":"3.1.0"}');
    writeFileSync(join(dir, 'package', 'other.txt'), 'other');
    execFileSync('tar', [...options, '-czf', join(dir, 'pkg.tgz'), '-C', dir, 'package']);
    const tgz = readFileSync(join(dir, 'pkg.tgz'));
    expect(readTarEntry(tgz, `${long}/doc.json`)?.toString()).toBe('{"openapi":"3.1.0"}');
    expect(readTarEntry(tgz, 'package/other.txt')?.toString()).toBe('other');
    expect(readTarEntry(tgz, 'package/missing.json')).toBeUndefined();
  });
});
