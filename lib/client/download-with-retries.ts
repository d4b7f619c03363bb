import type { DopplerClient, DownloadRequest, DownloadResult } from './doppler-client.js';
import { withNote } from '../errors/create-doppler-error.js';
import { clampDelay, sleep, systemClock, type Clock } from '../core/clock.js';
import { DopplerError } from '../errors/doppler.errors.js';

/** How hard to try before giving up. */
export interface RetryPolicy {
  /** Extra attempts after the first. */
  readonly retries: number;
  /** Milliseconds for the whole fetch: every attempt and every wait. */
  readonly deadline: number;
  /** Per-request deadline in milliseconds (cut short when the overall deadline is nearer). */
  readonly timeout: number;
  /** First backoff ceiling; doubles per attempt. @default 500 */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling. @default 8000 */
  readonly maxDelayMs?: number;
  /** Source of randomness for jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /**
   * When the deadline ends, in the clock's epoch milliseconds, if it started before this call
   * (bootstrap reads the token file first); `deadline` is then only the setting messages name.
   * @default now + deadline
   */
  readonly deadlineAt?: number;
  /** Time for the deadline and the waits. @default the system clock */
  readonly clock?: Clock;
}

/**
 * Downloads with retries inside one deadline. Retries what can heal (timeouts, connection
 * errors, 429, 5xx) with exponential backoff and full jitter, honouring Doppler's
 * `retry-after` when it fits in what is left of the deadline; never retries what cannot
 * (400, 401, 403, 404, a malformed answer). The error that ends the loop says how many
 * attempts were made and why the last one failed.
 *
 * @throws {DopplerError} the last attempt's error, with `attempts` set.
 */
export function downloadWithRetries(
  client: DopplerClient,
  policy: RetryPolicy,
  request: DownloadRequest = {},
): Promise<DownloadResult> {
  return retryWithinDeadline((attempt) => client.download(attempt), policy, request);
}

/**
 * Any one-request call to Doppler (the download, the OIDC exchange) with the retry rules of
 * {@link downloadWithRetries}: each attempt gets `request` with its timeout and the budget left.
 *
 * @throws {DopplerError} the last attempt's error, with `attempts` set.
 */
export async function retryWithinDeadline<T>(
  attemptOnce: (request: DownloadRequest) => Promise<T>,
  policy: RetryPolicy,
  request: DownloadRequest = {},
): Promise<T> {
  const clock = policy.clock ?? systemClock;
  const started = clock.now();
  const deadlineAt = policy.deadlineAt ?? started + policy.deadline;
  const maxAttempts = policy.retries + 1;
  const random = policy.random ?? Math.random;
  const base = policy.baseDelayMs ?? 500;
  const cap = policy.maxDelayMs ?? 8000;

  for (let attempt = 1; ; attempt++) {
    const remaining = deadlineAt - clock.now();
    try {
      // The client gets both numbers, so a timeout names the setting that ran out.
      return await attemptOnce({
        ...request,
        timeout: policy.timeout,
        budget: { deadlineMs: policy.deadline, remainingMs: Math.max(1, remaining) },
      });
    } catch (error: unknown) {
      if (!(error instanceof DopplerError)) throw error;
      const elapsed = clock.now() - started;
      if (!error.retryable || request.signal?.aborted) throw withAttempts(error, attempt, elapsed, '');
      if (attempt >= maxAttempts) {
        throw withAttempts(error, attempt, elapsed, `no retries left (retries: ${policy.retries})`);
      }
      const backoff = random() * Math.min(cap, base * 2 ** (attempt - 1));
      // retry-after is a floor, never a reason to skip the backoff: a `0` or a date in the past
      // would otherwise send a fleet back in lockstep.
      const wait = clampDelay(Math.max(backoff, error.retryAfterMs ?? 0));
      const left = deadlineAt - clock.now();
      // A wait that ends past the deadline, or leaves no time for a useful attempt, is pointless.
      if (wait >= left - 1) {
        const why =
          error.retryAfterMs !== undefined
            ? // The 429 may be a gateway's: the error's own message already says who asked.
              `it asked to wait ${Math.ceil(error.retryAfterMs / 1000)} s, past the ${policy.deadline} ms deadline`
            : `the ${policy.deadline} ms deadline left no time for another attempt`;
        throw withAttempts(error, attempt, elapsed, why);
      }
      request.observer?.retrying(attempt, error.code, wait);
      await sleep(clock, wait, request.signal);
    }
  }
}

function withAttempts(error: DopplerError, attempts: number, elapsedMs: number, why: string): DopplerError {
  if (attempts === 1 && why === '') return error;
  const plural = attempts === 1 ? '' : 's';
  return withNote(
    error,
    `Gave up after ${attempts} attempt${plural} in ${elapsedMs} ms${why ? `: ${why}` : ''}.`,
    {
      attempts,
    },
  );
}
