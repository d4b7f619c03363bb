/**
 * The part of `@opentelemetry/api` this module uses, declared here rather than imported: the API
 * is an optional peer, and a declaration file that named it would break the types of an app
 * without it. `otel-api.spec.ts` checks the real package against these shapes.
 */

/** What an instrument or a span accepts as attributes (strings, numbers, booleans, string lists). */
export type OtelAttributes = Record<string, string | number | boolean | string[]>;

export interface OtelInstrumentOptions {
  readonly description?: string;
  readonly unit?: string;
  readonly advice?: { readonly explicitBucketBoundaries?: number[] };
}

export interface OtelCounter {
  add(value: number, attributes?: OtelAttributes): void;
}

export interface OtelHistogram {
  record(value: number, attributes?: OtelAttributes): void;
}

/** An observable instrument, read by a batch callback at each collection. */
export type OtelObservable = object;

export interface OtelBatchResult {
  observe(observable: OtelObservable, value: number, attributes?: OtelAttributes): void;
}

export type OtelBatchCallback = (result: OtelBatchResult) => void | Promise<void>;

export interface OtelMeter {
  createHistogram(name: string, options?: OtelInstrumentOptions): OtelHistogram;
  createCounter(name: string, options?: OtelInstrumentOptions): OtelCounter;
  createObservableGauge(name: string, options?: OtelInstrumentOptions): OtelObservable;
  addBatchObservableCallback(callback: OtelBatchCallback, observables: OtelObservable[]): void;
  removeBatchObservableCallback(callback: OtelBatchCallback, observables: OtelObservable[]): void;
}

export interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean | string[]): unknown;
  setAttributes(attributes: OtelAttributes): unknown;
  addEvent(name: string, attributes?: OtelAttributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

export interface OtelTracer {
  startSpan(name: string, options?: { attributes?: OtelAttributes }): OtelSpan;
}

/** An OpenTelemetry `Context`: opaque here, only handed back to the API. */
export type OtelContext = object;

/** `@opentelemetry/api`, as far as this module needs it. */
export interface OtelApi {
  readonly metrics: { getMeter(name: string, version?: string): OtelMeter };
  readonly trace: {
    /** The global tracer provider: the API's proxy, whose delegate is the SDK's provider once one registers. */
    getTracerProvider(): { getTracer(name: string, version?: string): OtelTracer };
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
  };
  /** The app's context manager, if it registered one (the Node SDK does); without one, `with` only calls. */
  readonly context: {
    active(): OtelContext;
    with<R>(context: OtelContext, work: () => R): R;
  };
  /** The meter every `getMeter` returns while no SDK is registered. */
  createNoopMeter(): OtelMeter;
  /** What the provider's `getTracer` returns while no SDK is registered. */
  readonly ProxyTracer: abstract new (...args: never[]) => unknown;
  /** The API's global tracer provider; `getDelegateTracer` is undefined while no SDK is registered. */
  readonly ProxyTracerProvider: abstract new (...args: never[]) => {
    getDelegateTracer(name: string, version?: string): OtelTracer | undefined;
  };
  readonly SpanStatusCode: { readonly ERROR: number };
}

// Where every 1.x copy of the API keeps what is registered globally (its internal global-utils):
// one object per process, shared by all copies, holding `metrics` and `trace` once an SDK sets them.
const GLOBAL_REGISTRY = Symbol.for('opentelemetry.js.api.1');

/**
 * Whether a meter or tracer provider is registered with any copy of the API 1.x, read from the
 * global registry the API keeps, without loading it. With neither, every meter and tracer the API
 * hands out is a no-op, so a boot need not load the package (about 30 ms and 44 files at a
 * process's first boot on a 2-core machine) to learn that it has nothing to report to.
 */
export function otelProviderRegistered(): boolean {
  const registry: unknown = (globalThis as Record<symbol, unknown>)[GLOBAL_REGISTRY];
  if (typeof registry !== 'object' || registry === null) return false;
  const { metrics, trace } = registry as { metrics?: unknown; trace?: unknown };
  return metrics !== undefined || trace !== undefined;
}

let loading: Promise<OtelApi | undefined> | undefined;
// What the load brought, once it settled: boots after the first take it without waiting.
let loaded: { readonly api: OtelApi | undefined } | undefined;

/**
 * `@opentelemetry/api` when the app has it installed, else undefined; loaded once per process, on
 * the first boot (never at import), and never throwing. A dynamic import: the CommonJS build turns
 * it into a `require()`, the ES module build keeps it, and both reach the one global registry the
 * API keeps (so an SDK started by the app is seen whichever copy loads).
 */
export function loadOtelApi(): Promise<OtelApi | undefined> {
  loading ??= import('@opentelemetry/api').then(
    (api) => (loaded = { api: api as unknown as OtelApi }).api,
    () => (loaded = { api: undefined }).api,
  );
  return loading;
}

/** What {@link loadOtelApi} brought, once it has settled (`api` undefined: not installed); else undefined. */
export function loadedOtelApi(): { readonly api: OtelApi | undefined } | undefined {
  return loaded;
}
