/**
 * The part of an OpenAPI 3.1 document the contract check reads. The document is untrusted JSON,
 * so only its outline is checked on load; every schema is then read by the strict validator in
 * json-schema-subset.ts, which reports keywords it does not know instead of passing them.
 */

/** A JSON schema as the document writes it; keywords are checked when it is used. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** Where a parameter travels. */
export type ParameterLocation = 'query' | 'header' | 'path' | 'cookie';

/** One documented parameter of an operation. */
export interface OpenApiParameter {
  readonly name: string;
  readonly in: ParameterLocation;
  readonly required?: boolean;
  readonly description?: string;
  readonly schema?: JsonSchema;
}

/** A media type entry (`application/json`) of a request body or response. */
export interface OpenApiMediaType {
  readonly schema?: JsonSchema;
}

/** One documented response, keyed by its status code in `responses`. */
export interface OpenApiResponse {
  readonly description?: string;
  readonly content?: Readonly<Record<string, OpenApiMediaType>>;
}

/** One method of one path. */
export interface OpenApiOperation {
  readonly operationId?: string;
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: {
    readonly required?: boolean;
    readonly content?: Readonly<Record<string, OpenApiMediaType>>;
  };
  readonly responses?: Readonly<Record<string, OpenApiResponse>>;
  /** `[]` means no authentication; absent means the document-wide `security`. */
  readonly security?: readonly unknown[];
}

/** The document itself. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>>>>;
  readonly security?: readonly unknown[];
}

/** An operation found in the document, with the names used in reports. */
export interface LocatedOperation {
  readonly method: string;
  readonly path: string;
  readonly operation: OpenApiOperation;
  /** `GET /v3/...` */
  readonly label: string;
}

/**
 * Checks the outline of a parsed document (version, info, paths) and returns it typed.
 *
 * @throws Error naming what is missing.
 */
export function asOpenApiDocument(value: unknown): OpenApiDocument {
  if (!isRecord(value)) throw new Error('the OpenAPI document is not a JSON object');
  const { openapi, info, paths } = value;
  if (typeof openapi !== 'string' || !openapi.startsWith('3.')) {
    throw new Error('the OpenAPI document has no "openapi": "3.x" version');
  }
  if (!isRecord(info) || typeof info.title !== 'string' || typeof info.version !== 'string') {
    throw new Error('the OpenAPI document has no info.title and info.version');
  }
  if (!isRecord(paths)) throw new Error('the OpenAPI document has no paths');
  return value as unknown as OpenApiDocument;
}

/** Finds `method path` in the document (methods are lower case there). */
export function findOperation(
  document: OpenApiDocument,
  method: string,
  path: string,
): LocatedOperation | undefined {
  const operation = document.paths[path]?.[method.toLowerCase()];
  return operation === undefined ? undefined : { method, path, operation, label: `${method} ${path}` };
}

/** Whether the operation needs credentials: its own `security`, else the document's, is non-empty. */
export function requiresAuthentication(document: OpenApiDocument, operation: OpenApiOperation): boolean {
  return (operation.security ?? document.security ?? []).length > 0;
}

/** Counts paths and operations, to show which document was read. */
export function describeDocument(document: OpenApiDocument): string {
  const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  const operations = Object.values(document.paths).reduce(
    (count, item) => count + Object.keys(item).filter((key) => methods.includes(key)).length,
    0,
  );
  const paths = Object.keys(document.paths).length;
  return `${document.info.title} ${document.info.version} (OpenAPI ${document.openapi}, ${paths} paths, ${operations} operations)`;
}

/** Plain-object test for untrusted JSON. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
