/**
 * Polls `check` until it returns true, or fails after `timeoutMs` with `what` in the message.
 * Every 2 ms: a check is a cheap read of state, and each wait would otherwise last until the next
 * step after the thing happened (up to 20 ms each, with a coarser step).
 */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
