/** Result of asking the limiter for a slot. */
export type RateLimitDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Sliding-window limiter keyed by token. Only admitted requests occupy a slot,
 * so a client that keeps retrying while limited is not locked out forever.
 */
export class SlidingWindowRateLimiter {
  private readonly admitted = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  take(key: string, now: number): RateLimitDecision {
    const recent = (this.admitted.get(key) ?? []).filter((at) => at > now - this.windowMs);
    if (recent.length >= this.limit) {
      this.admitted.set(key, recent);
      const oldest = recent[0] ?? now;
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)),
      };
    }
    recent.push(now);
    this.admitted.set(key, recent);
    return { allowed: true };
  }
}
