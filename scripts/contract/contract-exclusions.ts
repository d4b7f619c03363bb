/**
 * What the contract check deliberately does not hold against Doppler's OpenAPI document, each with
 * the reason. An entry here is a decision, not a way to silence a failure: keep the list short.
 */

/** An endpoint the emulator may serve although the document does not describe it. */
export interface UndocumentedEndpoint {
  readonly method: string;
  readonly path: string;
  readonly reason: string;
}

/** Values of one parameter that select a body the document lists no media type for. */
export interface UndocumentedRepresentation {
  readonly operationId: string;
  readonly parameter: string;
  readonly values: readonly string[];
  readonly reason: string;
}

export const UNDOCUMENTED_ENDPOINTS: readonly UndocumentedEndpoint[] = [
  {
    // The server-sent-events stream behind `doppler run --watch` (Team and Enterprise plans). The
    // document does not list it, so there is nothing to check it against: its frames are known
    // from the DopplerHQ/cli source only. Listed so that an emulator route for it is skipped with
    // this reason, and so that the check flags the entry once the document does describe it.
    method: 'GET',
    path: '/v3/configs/config/secrets/watch',
    reason: "the watch stream (server-sent events) is not in Doppler's OpenAPI document",
  },
];

export const UNDOCUMENTED_REPRESENTATIONS: readonly UndocumentedRepresentation[] = [
  {
    // The document lists only application/json for the download's 200, yet its own `format` enum
    // selects dotenv and YAML bodies. For these values the check holds the emulator to the status
    // code and to answering differently per value; the exact text of each format is pinned by
    // lib/testing/emulator-secrets-format.spec.ts instead.
    operationId: 'secrets-download',
    parameter: 'format',
    values: ['env', 'yaml', 'docker', 'env-no-quotes'],
    reason: 'the document gives no media type for the non-JSON download formats',
  },
];

/** The exclusion for an endpoint, if any. */
export function undocumentedEndpoint(method: string, path: string): UndocumentedEndpoint | undefined {
  return UNDOCUMENTED_ENDPOINTS.find((entry) => entry.method === method && entry.path === path);
}

/** Whether a request's query selects a representation the document has no media type for. */
export function selectsUndocumentedRepresentation(
  operationId: string | undefined,
  query: Readonly<Record<string, string>>,
): boolean {
  return UNDOCUMENTED_REPRESENTATIONS.some(
    (entry) =>
      entry.operationId === operationId &&
      query[entry.parameter] !== undefined &&
      entry.values.includes(query[entry.parameter] ?? ''),
  );
}
