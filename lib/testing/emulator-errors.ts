import type { ServerResponse } from 'node:http';

/** Content type Doppler uses for JSON bodies, errors included. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Error messages worded as Doppler's API words them, so clients can be tested against them. */
export const DOPPLER_MESSAGES = {
  invalidToken: 'Invalid Auth token',
  cannotReadSecrets: 'This token cannot read secrets',
  projectForbidden: 'This token does not have access to requested project',
  configForbidden: 'This token does not have access to requested config',
  projectRequired: 'You must specify a project',
  configRequired: 'You must specify a config',
  projectNotFound: 'Could not find requested project',
  configNotFound: 'Could not find requested config',
  rateLimited: 'Rate limit exceeded',
  routeNotFound: 'Could not find requested route',
  methodNotAllowed: 'Method not allowed',
  bodyTooLarge: 'Request body too large',
  internalError: 'Internal emulator error',
} as const;

/** A response computed before anything is written to the socket. */
export interface PlannedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Doppler's error envelope.
 *
 * @example
 * dopplerErrorBody('Invalid Auth token'); // '{"messages":["Invalid Auth token"],"success":false}'
 */
export function dopplerErrorBody(message: string): string {
  return JSON.stringify({ messages: [message], success: false });
}

/** Plans a JSON error response in Doppler's shape. */
export function dopplerError(
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): PlannedResponse {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...headers },
    body: dopplerErrorBody(message),
  };
}

/** Writes a planned response in one go, with an exact content-length. */
export function sendPlanned(res: ServerResponse, planned: PlannedResponse): void {
  // A 304 must not claim a zero-length representation; it describes the cached 200 instead.
  if (planned.status === 304) {
    res.writeHead(planned.status, planned.headers);
    res.end();
    return;
  }
  const body = Buffer.from(planned.body, 'utf8');
  res.writeHead(planned.status, { ...planned.headers, 'content-length': String(body.length) });
  res.end(body);
}
