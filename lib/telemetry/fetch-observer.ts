/**
 * What one load tells telemetry while it runs: each HTTP answer and each retry. Passed down with
 * the load request (source -> client), so it always belongs to the fetch whose span is open.
 */
export interface FetchObserver {
  /** One request ended: with Doppler's status, or with no answer (`errorType` is the error's code). */
  response(status: number | undefined, errorType?: string): void;
  /** A failed attempt is retried after `delayMs`. */
  retrying(attempt: number, errorType: string, delayMs: number): void;
}
