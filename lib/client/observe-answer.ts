import { DopplerConfigurationError, DopplerError } from '../errors/doppler.errors.js';
import type { FetchObserver } from '../telemetry/fetch-observer.js';

/**
 * Awaits one request to Doppler and tells `observer` how it ended: the answer's status, or the
 * error's code when no answer came. A configuration error made no request, and neither counts a
 * request the caller aborted when its `signal` is given (a shutdown, a stall: nothing Doppler failed).
 */
export async function observeAnswer<A extends { readonly status: number }>(
  sending: Promise<A>,
  observer: Pick<FetchObserver, 'response'> | undefined,
  signal?: AbortSignal,
): Promise<A> {
  let answer: A;
  try {
    answer = await sending;
  } catch (error: unknown) {
    if (error instanceof DopplerError && !(error instanceof DopplerConfigurationError) && !signal?.aborted) {
      observer?.response(undefined, error.code);
    }
    throw error;
  }
  observer?.response(answer.status);
  return answer;
}
