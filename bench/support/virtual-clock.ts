/**
 * A virtual clock for the fleet simulation: real code, real HTTP, simulated time.
 *
 * While installed, `Date` (no-argument construction and `Date.now()`), `setTimeout` and
 * `clearTimeout` on globalThis follow virtual time. The library reads the time and sleeps
 * only through these globals (downloadWithRetries' backoff and deadline, the refresher's
 * timer, the emulator's rate-limit window and retry-after), so its logic runs unchanged.
 *
 * Time advances only when the process is quiescent: no tracked HTTP request in flight and
 * the microtask queue drained. Then the clock jumps to the next timer and fires every
 * timer due at that instant. A request therefore takes zero virtual time: the emulator
 * sees it at the virtual instant it was sent. Node internals keep their own timer
 * references, so sockets and HTTP parsing still run in real time underneath.
 */
type Callback = (...args: unknown[]) => void;

export class VirtualTimeout {
  cancelled = false;
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly callback: Callback,
    readonly args: readonly unknown[],
  ) {}
  unref(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  hasRef(): boolean {
    return false;
  }
}

const REAL = {
  Date: globalThis.Date,
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setImmediate: globalThis.setImmediate,
};

export class VirtualClock {
  #now: number;
  #seq = 0;
  readonly #heap: VirtualTimeout[] = [];
  #inflight = 0;
  #onIdle: (() => void) | undefined;
  #installed = false;

  constructor(readonly epoch = Date.UTC(2026, 0, 1)) {
    this.#now = epoch;
  }

  /** Virtual milliseconds since the epoch. */
  get now(): number {
    return this.#now;
  }

  /** Virtual milliseconds since the clock started. */
  get elapsed(): number {
    return this.#now - this.epoch;
  }

  get pendingTimers(): number {
    return this.#heap.filter((t) => !t.cancelled).length;
  }

  install(): void {
    if (this.#installed) return;
    this.#installed = true;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the patched globals close over the clock
    const clock = this;
    const RealDate = REAL.Date;
    function VirtualDate(this: unknown, ...args: unknown[]): unknown {
      if (new.target === undefined) return new RealDate(clock.now).toString();
      return Reflect.construct(RealDate, args.length === 0 ? [clock.now] : args, new.target) as object;
    }
    VirtualDate.prototype = RealDate.prototype;
    Object.setPrototypeOf(VirtualDate, RealDate);
    (VirtualDate as unknown as { now: () => number }).now = () => clock.now;
    const g = globalThis as unknown as Record<string, unknown>;
    g['Date'] = VirtualDate;
    g['setTimeout'] = (callback: Callback, delay?: number, ...args: unknown[]) =>
      this.schedule(delay ?? 0, callback, args);
    g['clearTimeout'] = (timer: unknown) => {
      if (timer instanceof VirtualTimeout) timer.cancelled = true;
      else REAL.clearTimeout(timer as Parameters<typeof clearTimeout>[0]);
    };
  }

  uninstall(): void {
    if (!this.#installed) return;
    this.#installed = false;
    const g = globalThis as unknown as Record<string, unknown>;
    g['Date'] = REAL.Date;
    g['setTimeout'] = REAL.setTimeout;
    g['clearTimeout'] = REAL.clearTimeout;
  }

  /** A timer in virtual time; delays below 1 ms become 1 ms, as in Node. */
  schedule(delay: number, callback: Callback, args: readonly unknown[] = []): VirtualTimeout {
    const ms = Number.isFinite(delay) && delay >= 1 ? Math.floor(delay) : 1;
    const timer = new VirtualTimeout(this.#now + ms, this.#seq++, callback, args);
    this.#push(timer);
    return timer;
  }

  /** Wraps one HTTP request so the clock waits for it before moving on. */
  async track<T>(request: () => Promise<T>): Promise<T> {
    this.#inflight++;
    try {
      return await request();
    } finally {
      this.#inflight--;
      if (this.#inflight === 0) this.#onIdle?.();
    }
  }

  /** Runs timers until none is left at or before `until` (virtual ms since the epoch). */
  async runUntil(until: number): Promise<void> {
    await this.#settle();
    for (;;) {
      const next = this.#peek();
      if (next === undefined || next.at > until) break;
      this.#now = next.at;
      while (this.#peek()?.at === this.#now) {
        const timer = this.#pop() as VirtualTimeout;
        if (!timer.cancelled) timer.callback(...timer.args);
      }
      await this.#settle();
    }
    if (until > this.#now && until !== Number.POSITIVE_INFINITY) this.#now = until;
  }

  /** Waits until no request is in flight and the microtasks they queued have run. */
  async #settle(): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => REAL.setImmediate(resolve));
      if (this.#inflight > 0) {
        await new Promise<void>((resolve) => (this.#onIdle = resolve));
        this.#onIdle = undefined;
        continue;
      }
      await new Promise<void>((resolve) => REAL.setImmediate(resolve));
      if (this.#inflight === 0) return;
    }
  }

  #before(a: VirtualTimeout, b: VirtualTimeout): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #peek(): VirtualTimeout | undefined {
    while (this.#heap.length > 0 && this.#heap[0]?.cancelled) this.#pop();
    return this.#heap[0];
  }

  #push(timer: VirtualTimeout): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  #pop(): VirtualTimeout | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && this.#before(heap[l], heap[smallest])) smallest = l;
        if (r < heap.length && this.#before(heap[r], heap[smallest])) smallest = r;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }
}
