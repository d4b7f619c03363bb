/**
 * A virtual clock for the fleet simulation: real code, real HTTP, real files, simulated time.
 *
 * While installed, these globals follow virtual time: `Date` (no-argument construction and
 * `Date.now()`), `setTimeout`/`clearTimeout` and `AbortSignal.timeout()`; with a seed, `Math.random` is a seeded generator too. The library
 * reads the time, sleeps, bounds its requests and draws its jitter only through these globals
 * (it is used through its public entry points only, as an app would), so its logic runs
 * unchanged, and so does the emulator's rate-limit window.
 *
 * Time advances only when the process is quiescent: the microtask queue drained, no socket open
 * or connecting, no file system request pending (both read from
 * `process.getActiveResourcesInfo()`), and no operation wrapped in {@link VirtualClock.track}
 * running. Then the clock jumps to the next timer and fires every timer due at that instant. A
 * request, a file read or a volume swap therefore takes zero virtual time, and a request's own
 * timeout (an `AbortSignal.timeout`) cannot fire while it is in flight. Node internals keep their
 * own timers, so sockets and HTTP parsing still run in real time underneath.
 */
import { seededRandom } from './stats.js';

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
  abortSignalTimeout: AbortSignal.timeout.bind(AbortSignal),
  random: Math.random,
};

/**
 * Resources that mean I/O is under way: an open or connecting socket, a pending file system or
 * DNS request (`CloseReq`: a FileHandle closing). A listening server, a pipe to the parent, an unref'd handle (a non-persistent
 * `fs.watch`, an idle pooled socket) are not listed or not counted.
 */
const IO_RESOURCES: ReadonlySet<string> = new Set([
  'TCPSocketWrap',
  'TCPConnectWrap',
  'FSReqCallback',
  'FSReqPromise',
  'CloseReq',
  'GetAddrInfoReqWrap',
  'ShutdownWrap',
]);

/** Turns of the event loop spent polling pending I/O before sleeping a millisecond between checks. */
const SPINS_BEFORE_SLEEP = 100;

/** Real milliseconds I/O may stay pending before the clock gives up and says what is stuck. */
const STUCK_AFTER_MS = 120_000;

export interface InstallOptions {
  /** Seeds `Math.random` while installed, so jitter and start times repeat from run to run. */
  readonly seed?: number;
  /**
   * How many open sockets are long-lived streams (a watch stream's two ends), not I/O in flight:
   * that many `TCPSocketWrap`s do not hold time still. Read at every check.
   */
  readonly streams?: () => number;
}

export class VirtualClock {
  #now: number;
  #seq = 0;
  readonly #heap: VirtualTimeout[] = [];
  #tracked = 0;
  #installed = false;
  #streams: () => number = () => 0;
  #timersFired = 0;
  #instants = 0;

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

  /** Timers fired and distinct instants visited so far: what the simulation cost in steps. */
  get steps(): { readonly timers: number; readonly instants: number } {
    return { timers: this.#timersFired, instants: this.#instants };
  }

  install(options: InstallOptions = {}): void {
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
    AbortSignal.timeout = (ms: number): AbortSignal => {
      const controller = new AbortController();
      this.schedule(ms, () =>
        controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      );
      return controller.signal;
    };
    if (options.seed !== undefined) Math.random = seededRandom(options.seed);
    if (options.streams !== undefined) this.#streams = options.streams;
  }

  uninstall(): void {
    if (!this.#installed) return;
    this.#installed = false;
    this.#streams = () => 0;
    const g = globalThis as unknown as Record<string, unknown>;
    g['Date'] = REAL.Date;
    g['setTimeout'] = REAL.setTimeout;
    g['clearTimeout'] = REAL.clearTimeout;
    AbortSignal.timeout = REAL.abortSignalTimeout;
    Math.random = REAL.random;
  }

  /** A timer in virtual time; delays below 1 ms become 1 ms, as in Node. */
  schedule(delay: number, callback: Callback, args: readonly unknown[] = []): VirtualTimeout {
    const ms = Number.isFinite(delay) && delay >= 1 ? Math.floor(delay) : 1;
    const timer = new VirtualTimeout(this.#now + ms, this.#seq++, callback, args);
    this.#push(timer);
    return timer;
  }

  /**
   * Holds virtual time while `work` runs: for work the resource list cannot see (a computation
   * on the thread pool, a wait for a file event).
   */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.#tracked++;
    try {
      return await work();
    } finally {
      this.#tracked--;
    }
  }

  /** Runs timers until none is left at or before `until` (virtual ms since the epoch). */
  async runUntil(until: number, stop: () => boolean = () => false): Promise<void> {
    await this.#settle();
    for (;;) {
      if (stop()) return;
      const next = this.#peek();
      if (next === undefined || next.at > until) break;
      this.#now = next.at;
      this.#instants++;
      while (this.#peek()?.at === this.#now) {
        const timer = this.#pop() as VirtualTimeout;
        if (timer.cancelled) continue;
        this.#timersFired++;
        timer.callback(...timer.args);
      }
      await this.#settle();
    }
    if (until > this.#now && until !== Number.POSITIVE_INFINITY) this.#now = until;
  }

  /** Waits until nothing is in flight and the microtasks it queued have run. */
  async #settle(): Promise<void> {
    let busySince: number | undefined;
    let spins = 0;
    for (;;) {
      await new Promise<void>((resolve) => REAL.setImmediate(resolve));
      const busy = this.#busy();
      if (busy !== undefined) {
        busySince ??= performance.now();
        if (performance.now() - busySince > STUCK_AFTER_MS) {
          throw new Error(`virtual clock: I/O pending for ${STUCK_AFTER_MS / 1000} s of real time: ${busy}`);
        }
        // Loopback I/O is ready within a few turns of the loop; past that (a file read on the
        // thread pool), let the loop block on it instead of spinning.
        if (++spins > SPINS_BEFORE_SLEEP) await new Promise<void>((resolve) => REAL.setTimeout(resolve, 1));
        continue;
      }
      await new Promise<void>((resolve) => REAL.setImmediate(resolve));
      if (this.#busy() === undefined) return;
    }
  }

  /** What is still in flight, or undefined when nothing is. */
  #busy(): string | undefined {
    if (this.#tracked > 0) return `${this.#tracked} tracked operation(s)`;
    const io = process.getActiveResourcesInfo().filter((r) => IO_RESOURCES.has(r));
    let idle = this.#streams();
    const busy = io.filter((r) => r !== 'TCPSocketWrap' || idle-- <= 0);
    return busy.length > 0 ? busy.join(', ') : undefined;
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
