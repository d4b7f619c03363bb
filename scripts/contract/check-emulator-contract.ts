import { planContractCases, type ContractCase } from './contract-cases.js';
import {
  selectsUndocumentedRepresentation,
  undocumentedEndpoint,
  UNDOCUMENTED_ENDPOINTS,
} from './contract-exclusions.js';
import type { ContractFixture, ContractRoute } from './contract-fixture.js';
import { validateJson } from './json-schema-subset.js';
import {
  findOperation,
  type JsonSchema,
  type LocatedOperation,
  type OpenApiDocument,
} from './openapi-document.js';

/** What one case got, and what was wrong with it. Never holds a body: it may hold secrets. */
export interface CaseOutcome {
  readonly title: string;
  readonly status: number;
  readonly problems: readonly string[];
}

/** The check of one served route. */
export interface RouteReport {
  /** `GET /v3/...` */
  readonly label: string;
  /** Set when the route is deliberately not checked (see contract-exclusions.ts). */
  readonly excluded?: string;
  readonly outcomes: readonly CaseOutcome[];
  /** Every problem of the route, its cases' included, each prefixed with the case title. */
  readonly problems: readonly string[];
}

/** Everything the check needs: the document, the routes the emulator serves, a running emulator. */
export interface ContractCheckOptions {
  readonly document: OpenApiDocument;
  readonly routes: readonly ContractRoute[];
  /** Base URL of an emulator seeded with `fixture.seed`. */
  readonly baseUrl: string;
  readonly fixture: ContractFixture;
}

// Doppler's error envelope (see ARCHITECTURE.md "Doppler API"); the document shows it in examples only.
const DOPPLER_ERROR: JsonSchema = {
  type: 'object',
  required: ['messages', 'success'],
  properties: {
    messages: { type: 'array', items: { type: 'string' } },
    success: { type: 'boolean', enum: [false] },
  },
};
const EXPECTED_STATUS = { 'bad-request': 400, unauthorized: 401 } as const;

/**
 * Checks every served route against Doppler's OpenAPI document over HTTP: requests built from
 * the document (contract-cases.ts), answers checked for a documented status, a documented media
 * type and the documented JSON schema, errors for Doppler's status and envelope.
 */
export async function checkEmulatorContract(options: ContractCheckOptions): Promise<RouteReport[]> {
  const reports: RouteReport[] = [];
  for (const route of options.routes) {
    reports.push(await checkRoute(route, options));
  }
  return reports;
}

/**
 * Problems with the exclusion list itself: an excluded endpoint the document now describes must
 * be checked instead.
 */
export function staleExclusions(document: OpenApiDocument): string[] {
  return UNDOCUMENTED_ENDPOINTS.filter((entry) => findOperation(document, entry.method, entry.path)).map(
    (entry) => `${entry.method} ${entry.path} is excluded as undocumented, but the document now describes it`,
  );
}

async function checkRoute(route: ContractRoute, options: ContractCheckOptions): Promise<RouteReport> {
  const label = `${route.method} ${route.path}`;
  const located = findOperation(options.document, route.method, route.path);
  if (located === undefined) {
    const excluded = undocumentedEndpoint(route.method, route.path);
    return excluded === undefined
      ? { label, outcomes: [], problems: [`${label} is served but is not in Doppler's OpenAPI document`] }
      : { label, excluded: excluded.reason, outcomes: [], problems: [] };
  }
  const plan = planContractCases(options.document, located, options.fixture);
  const outcomes: CaseOutcome[] = [];
  const bodiesByGroup = new Map<string, string[]>();
  for (const contractCase of plan.cases) {
    const response = await send(options, route, contractCase);
    const text = await response.text();
    outcomes.push({
      title: contractCase.title,
      status: response.status,
      problems: judge(located, contractCase, response, text),
    });
    if (contractCase.group !== undefined && response.status < 300) {
      bodiesByGroup.set(contractCase.group, [...(bodiesByGroup.get(contractCase.group) ?? []), text]);
    }
  }
  const problems = [
    ...plan.problems,
    ...outcomes.flatMap((outcome) => outcome.problems.map((problem) => `${outcome.title}: ${problem}`)),
    ...ignoredParameters(bodiesByGroup),
  ];
  return { label, outcomes, problems };
}

function send(
  options: ContractCheckOptions,
  route: ContractRoute,
  contractCase: ContractCase,
): Promise<Response> {
  const headers = new Headers(contractCase.headers);
  const token =
    contractCase.credential === 'service'
      ? options.fixture.serviceToken
      : contractCase.credential === 'account'
        ? options.fixture.accountToken
        : undefined;
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  let body: string | undefined;
  if (contractCase.body !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(contractCase.body);
  }
  const query = new URLSearchParams(contractCase.query).toString();
  return fetch(`${options.baseUrl}${route.path}${query ? `?${query}` : ''}`, {
    method: route.method,
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
}

function judge(
  located: LocatedOperation,
  contractCase: ContractCase,
  response: Response,
  text: string,
): string[] {
  if (contractCase.expect !== 'success') {
    return judgeError(EXPECTED_STATUS[contractCase.expect], response, text);
  }
  const responses = located.operation.responses ?? {};
  const documented = responses[String(response.status)];
  if (documented === undefined || response.status >= 300) {
    return [
      `answered ${response.status}${errorMessageOf(text)}; the document lists ${Object.keys(responses).join(', ') || 'no status'}`,
    ];
  }
  if (selectsUndocumentedRepresentation(located.operation.operationId, contractCase.query)) {
    return [];
  }
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const content = documented.content;
  if (content === undefined) return [];
  const entry = content[mediaType];
  if (entry === undefined) {
    return [`content-type "${mediaType}" is not one the document lists (${Object.keys(content).join(', ')})`];
  }
  if (entry.schema === undefined || !isJsonMediaType(mediaType)) return [];
  const parsed = parseJson(text);
  return parsed.ok ? validateJson(parsed.value, entry.schema) : ['the body is not valid JSON'];
}

function judgeError(expected: number, response: Response, text: string): string[] {
  const problems: string[] = [];
  if (response.status !== expected) {
    problems.push(`answered ${response.status}${errorMessageOf(text)}, not ${expected}`);
    return problems;
  }
  const parsed = parseJson(text);
  if (!parsed.ok) return ['the error body is not JSON'];
  problems.push(...validateJson(parsed.value, DOPPLER_ERROR).map((problem) => `error envelope ${problem}`));
  const messages = (parsed.value as { messages?: unknown }).messages;
  if (Array.isArray(messages) && messages.length === 0) problems.push('the error envelope has no message');
  return problems;
}

function ignoredParameters(bodiesByGroup: ReadonlyMap<string, readonly string[]>): string[] {
  return [...bodiesByGroup]
    .filter(([, bodies]) => bodies.length > 1 && new Set(bodies).size === 1)
    .map(
      ([name, bodies]) =>
        `all ${bodies.length} documented values of "${name}" got the same answer: it is ignored`,
    );
}

// Error envelopes hold Doppler's fixed wording, never a secret value, so the message is worth showing.
function errorMessageOf(text: string): string {
  const parsed = parseJson(text);
  const message = parsed.ok ? (parsed.value as { messages?: unknown[] }).messages?.[0] : undefined;
  return typeof message === 'string' ? ` ("${message}")` : '';
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}
