import type { ContractFixture } from './contract-fixture.js';
import { validateJson } from './json-schema-subset.js';
import {
  isRecord,
  requiresAuthentication,
  type JsonSchema,
  type LocatedOperation,
  type OpenApiDocument,
  type OpenApiParameter,
} from './openapi-document.js';

/** Which token a case presents. */
export type CaseCredential = 'service' | 'account' | 'none';

/** What the document (with Doppler's error rules) says the answer must be. */
export type CaseExpectation = 'success' | 'bad-request' | 'unauthorized';

/** One request built from the document, and what it must get. */
export interface ContractCase {
  readonly title: string;
  readonly credential: CaseCredential;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON request body, for operations that document one. */
  readonly body?: unknown;
  readonly expect: CaseExpectation;
  /**
   * Cases sharing a group are the documented values of one enum parameter: if they all get the
   * same answer, the parameter is being ignored. (Booleans are not grouped: with no dynamic
   * secrets, `include_dynamic_secrets` rightly changes nothing.)
   */
  readonly group?: string;
}

/** The cases of one operation, and what kept a case from being built. */
export interface CasePlan {
  readonly cases: readonly ContractCase[];
  readonly problems: readonly string[];
}

// Doppler's own wording for parameters a service token may leave out.
const SERVICE_TOKEN_EXEMPTION = /not required if using a service token/i;

/**
 * Builds the requests for one operation from its documented parameters and body:
 * - the required parameters alone, and every documented parameter at once;
 * - each documented value of each parameter (every enum value, both booleans) on its own;
 * - an undocumented value of each constrained parameter (enum, boolean, integer): a 400;
 * - each required parameter left out: a 400 (and a 200 for a service token where the document
 *   says the parameter is not required with one);
 * - no credentials, where the operation is authenticated: a 401;
 * - each required body property left out: a 400.
 */
export function planContractCases(
  document: OpenApiDocument,
  located: LocatedOperation,
  fixture: ContractFixture,
): CasePlan {
  const problems: string[] = [];
  const parameters = located.operation.parameters ?? [];
  const chosen = new Map<OpenApiParameter, readonly string[]>();
  for (const parameter of parameters) {
    if (parameter.in === 'path' || parameter.in === 'cookie') {
      problems.push(
        `parameter "${parameter.name}" is in ${parameter.in}, which the checker does not send yet`,
      );
      continue;
    }
    const values = documentedValues(parameter, fixture.knownValues);
    if (values.length === 0) {
      problems.push(
        `no valid value known for parameter "${parameter.name}": add one to the contract fixture`,
      );
      continue;
    }
    chosen.set(parameter, values);
  }
  const body = requestBodyFor(located, fixture, problems);
  const usable = [...chosen.keys()];
  const required = usable.filter((parameter) => parameter.required === true);
  const request = (credential: CaseCredential, sent: readonly OpenApiParameter[], overrides: Override = {}) =>
    build(credential, sent, chosen, overrides, body);

  const cases: ContractCase[] = [
    { title: 'the required parameters', ...request('account', required), expect: 'success' },
    { title: 'every documented parameter at once', ...request('account', usable), expect: 'success' },
  ];
  for (const parameter of usable) {
    const others = required.filter((candidate) => candidate !== parameter);
    for (const value of chosen.get(parameter) ?? []) {
      cases.push({
        title: `${parameter.name}=${value}`,
        ...request('account', others, { [parameter.name]: { parameter, value } }),
        expect: 'success',
        ...(Array.isArray(parameter.schema?.enum) ? { group: parameter.name } : {}),
      });
    }
    for (const value of undocumentedValues(parameter)) {
      cases.push({
        title: `${parameter.name}=${value} (not a documented value)`,
        ...request('account', others, { [parameter.name]: { parameter, value } }),
        expect: 'bad-request',
      });
    }
    if (parameter.required === true) {
      cases.push({
        title: `without required "${parameter.name}"`,
        ...request('account', others),
        expect: 'bad-request',
      });
    }
  }
  const exempt = required.filter((parameter) => SERVICE_TOKEN_EXEMPTION.test(parameter.description ?? ''));
  if (exempt.length > 0) {
    cases.push({
      title: `a service token without ${exempt.map((parameter) => `"${parameter.name}"`).join(', ')}`,
      ...request(
        'service',
        required.filter((parameter) => !exempt.includes(parameter)),
      ),
      expect: 'success',
    });
  }
  if (requiresAuthentication(document, located.operation)) {
    cases.push({ title: 'no credentials', ...request('none', required), expect: 'unauthorized' });
  }
  cases.push(...missingBodyPropertyCases(located, body, request('account', required)));
  return { cases, problems };
}

type Request = Pick<ContractCase, 'credential' | 'query' | 'headers' | 'body'>;
type Override = Readonly<Record<string, { readonly parameter: OpenApiParameter; readonly value: string }>>;

function build(
  credential: CaseCredential,
  parameters: readonly OpenApiParameter[],
  chosen: ReadonlyMap<OpenApiParameter, readonly string[]>,
  overrides: Override,
  body: unknown,
): Request {
  const query: Record<string, string> = {};
  const headers: Record<string, string> = {};
  const place = (parameter: OpenApiParameter, value: string): void => {
    (parameter.in === 'header' ? headers : query)[parameter.name] = value;
  };
  for (const parameter of parameters) place(parameter, chosen.get(parameter)?.[0] ?? '');
  for (const { parameter, value } of Object.values(overrides)) place(parameter, value);
  return { credential, query, headers, ...(body === undefined ? {} : { body }) };
}

/**
 * Valid values, the first being the one used when the parameter is not the one under test:
 * a fixture value, else the documented default, else every enum value, both booleans, ...
 */
function documentedValues(parameter: OpenApiParameter, known: Readonly<Record<string, string>>): string[] {
  const knownValue = known[parameter.name];
  if (knownValue !== undefined) return [knownValue];
  const schema = parameter.schema ?? {};
  const fallback = schema.default === undefined ? undefined : asQueryText(schema.default);
  if (Array.isArray(schema.enum)) {
    const values = (schema.enum as unknown[]).map(asQueryText);
    return fallback === undefined ? values : [fallback, ...values.filter((value) => value !== fallback)];
  }
  switch (schema.type) {
    case 'boolean':
      return fallback === 'true' ? ['true', 'false'] : ['false', 'true'];
    case 'integer':
    case 'number':
      return [fallback ?? '1'];
    default:
      return fallback === undefined ? [] : [fallback];
  }
}

// Query strings carry text: a documented `true` or `1800` is sent as written in JSON.
function asQueryText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function undocumentedValues(parameter: OpenApiParameter): string[] {
  const schema = parameter.schema ?? {};
  if (Array.isArray(schema.enum)) return [`not-a-${parameter.name.replace(/_/g, '-')}`];
  switch (schema.type) {
    case 'boolean':
      return ['maybe'];
    case 'integer':
      return ['one', '1.5'];
    case 'number':
      return ['one'];
    default:
      return [];
  }
}

function requestBodyFor(located: LocatedOperation, fixture: ContractFixture, problems: string[]): unknown {
  const schema = located.operation.requestBody?.content?.['application/json']?.schema;
  if (schema === undefined) return undefined;
  const id = located.operation.operationId ?? located.label;
  const body = fixture.bodies[id];
  if (body === undefined) {
    problems.push(`no valid request body known for ${id}: add one to the contract fixture's bodies`);
    return undefined;
  }
  problems.push(...validateJson(body, schema).map((problem) => `the fixture's body for ${id}: ${problem}`));
  return body;
}

function missingBodyPropertyCases(located: LocatedOperation, body: unknown, base: Request): ContractCase[] {
  const schema: JsonSchema | undefined = located.operation.requestBody?.content?.['application/json']?.schema;
  if (!isRecord(body) || schema === undefined || !Array.isArray(schema.required)) return [];
  return (schema.required as unknown[])
    .filter((name): name is string => typeof name === 'string')
    .map((name) => {
      const rest = Object.fromEntries(Object.entries(body).filter(([key]) => key !== name));
      return {
        title: `body without required "${name}"`,
        ...base,
        body: rest,
        expect: 'bad-request' as const,
      };
    });
}
