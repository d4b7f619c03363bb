/**
 * `work`, unless `signal` aborts first: then the promise rejects with `onAbort()` at once,
 * while `work` (a file read on a hung volume, say, which nothing can cancel) goes on in the
 * background with its outcome dropped, so it can never become an unhandled rejection.
 */
export function within<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => Error): Promise<T> {
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    // Work that has already settled still wins over a signal that aborted before the call: its
    // outcome arrives in this turn's microtasks, before the next macrotask.
    if (signal.aborted) setImmediate(abort);
    else signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        // Passed on as it came: the caller's own work decides what it rejects with.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
      },
    );
  });
}
