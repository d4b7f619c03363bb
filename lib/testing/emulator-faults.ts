/**
 * Answer with this status instead of the secrets, e.g. an outage (`503`) or throttling (`429`).
 *
 * @example
 * { kind: 'status', status: 429, headers: { 'retry-after': '1' } }
 *
 * @publicApi
 */
export interface EmulatorStatusFault {
  readonly kind: 'status';
  readonly status: number;
  /** @default Doppler's JSON error shape with the status text as message */
  readonly body?: string;
  /** Added to (and overriding) `content-type: application/json`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Send exactly these bytes: an HTML error page, truncated or non-object JSON, a gzip bomb
 * (with `content-encoding: gzip`), a lying `content-length`...
 *
 * @example
 * { kind: 'raw', headers: { 'content-type': 'application/json' }, body: '{"PORT": "30' }
 *
 * @publicApi
 */
export interface EmulatorRawFault {
  readonly kind: 'raw';
  /** @default 200 */
  readonly status?: number;
  /** Sent as given; only `content-length` is added when absent. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

/**
 * Accept the request and never answer. The socket is held until the client gives up or `stop()`.
 *
 * @publicApi
 */
export interface EmulatorHangFault {
  readonly kind: 'hang';
}

/**
 * Send `200` headers, then one byte every `intervalMs`: a server that is alive but too slow.
 * Without a body it sends JSON-insignificant spaces forever.
 *
 * @example
 * { kind: 'drip', intervalMs: 50, body: '{"PORT":"3000"}' }
 *
 * @publicApi
 */
export interface EmulatorDripFault {
  readonly kind: 'drip';
  readonly intervalMs: number;
  readonly body?: string;
  /**
   * Start the body over instead of ending the response once it is sent.
   * @default false
   */
  readonly repeat?: boolean;
}

/**
 * Send `200` headers announcing a longer body, `afterBytes` bytes of it, then drop the connection.
 *
 * @publicApi
 */
export interface EmulatorResetFault {
  readonly kind: 'reset';
  /** @default 16 */
  readonly afterBytes?: number;
}

/**
 * Redirect the client, e.g. to another origin that must not receive the token.
 *
 * @example
 * { kind: 'redirect', location: 'http://127.0.0.1:9/steal' }
 *
 * @publicApi
 */
export interface EmulatorRedirectFault {
  readonly kind: 'redirect';
  readonly location: string;
  /** @default 302 */
  readonly status?: number;
}

/**
 * A misbehaviour served instead of the normal answer, for outage / slow-server / lying-server tests.
 *
 * @publicApi
 */
export type EmulatorFault =
  | EmulatorStatusFault
  | EmulatorRawFault
  | EmulatorHangFault
  | EmulatorDripFault
  | EmulatorResetFault
  | EmulatorRedirectFault;

/** @publicApi */
export type EmulatorFaultKind = EmulatorFault['kind'];

/**
 * Rejects a fault the server could not serve, at injection time rather than mid-request.
 *
 * @throws RangeError naming the field.
 */
export function assertValidFault(fault: EmulatorFault): void {
  switch (fault.kind) {
    case 'status':
      return assertStatus('status.status', fault.status, 200, 599);
    case 'raw':
      return assertStatus('raw.status', fault.status ?? 200, 200, 599);
    case 'hang':
      return;
    case 'drip':
      if (!Number.isFinite(fault.intervalMs) || fault.intervalMs < 1) {
        throw new RangeError('Invalid emulator fault: drip.intervalMs must be a number >= 1');
      }
      return;
    case 'reset':
      if (!Number.isInteger(fault.afterBytes ?? 0) || (fault.afterBytes ?? 0) < 0) {
        throw new RangeError('Invalid emulator fault: reset.afterBytes must be an integer >= 0');
      }
      return;
    case 'redirect':
      if (typeof fault.location !== 'string' || fault.location === '') {
        throw new RangeError('Invalid emulator fault: redirect.location must be a non-empty string');
      }
      return assertStatus('redirect.status', fault.status ?? 302, 300, 399);
    default:
      throw new RangeError(
        `Invalid emulator fault: unknown kind ${JSON.stringify((fault as { kind: unknown }).kind)}`,
      );
  }
}

function assertStatus(field: string, status: number, min: number, max: number): void {
  if (!Number.isInteger(status) || status < min || status > max) {
    throw new RangeError(`Invalid emulator fault: ${field} must be an integer from ${min} to ${max}`);
  }
}
