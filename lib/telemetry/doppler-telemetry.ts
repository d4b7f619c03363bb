import type { Clock } from '../core/clock.js';
import type { DopplerScope } from '../core/scope.js';
import { DopplerError } from '../errors/doppler.errors.js';
import type { SecretsMetadata } from '../interfaces/secrets-metadata.interface.js';
import type { SecretsChange } from '../interfaces/secrets-status.interface.js';
import type { SecretsState } from '../refresh/secrets-state.js';
import type { FetchObserver } from './fetch-observer.js';
import {
  loadedOtelApi,
  loadOtelApi,
  otelProviderRegistered,
  type OtelApi,
  type OtelAttributes,
  type OtelBatchResult,
  type OtelSpan,
  type OtelTracer,
} from './otel-api.js';
import { instrumentsFor, type GaugeSource, type Instruments } from './telemetry-instruments.js';

/** The instrumentation scope every meter and tracer of this module is taken under. */
export const TELEMETRY_SCOPE = 'nestjs-doppler';

/** The states a watch stream reports through {@link InstanceTelemetry.streamState}. */
export const WATCH_STREAM_STATES = ['connecting', 'connected', 'reconnecting', 'stopped'] as const;
export type WatchStreamState = (typeof WATCH_STREAM_STATES)[number];

/** The telemetry option after checks. */
export interface ResolvedTelemetryOptions {
  readonly enabled: boolean;
  readonly includeSecretNames: boolean;
}

/** One fetch (the bootstrap load, or one refresh cycle) as telemetry sees it: its span and its timer. */
export interface FetchTelemetry extends FetchObserver {
  /** A set is served now: the first one, or a change. */
  changed(metadata: SecretsMetadata, version: number, change?: SecretsChange): void;
  /** Doppler confirmed the set held (a 304, or the same set). */
  unchanged(): void;
  /** The fetch failed; `errorType` is the error's code (`_OTHER` for an error that is not ours). */
  failed(errorType: string): void;
  /** Abandoned at shutdown: the span ends, nothing is recorded. */
  abandoned(): void;
  /**
   * Runs `work` (the fetch's requests) with this fetch's span as the active span, so that what the
   * app's instrumentations record meanwhile (HTTP, DNS, a token callback's own calls) is its child.
   * Only what `work` starts inherits it: timers set before or after do not.
   */
  inSpan<R>(work: () => Promise<R>): Promise<R>;
}

/**
 * What the module tells telemetry about one registration. The watch stream and the OIDC token
 * report through {@link streamState} and {@link tokenExpiresAt}; every method costs nothing when no
 * OpenTelemetry SDK was registered at boot.
 */
export interface InstanceTelemetry {
  startFetch(phase: 'bootstrap' | 'refresh'): FetchTelemetry;
  /** Reports the state's gauges (age, stale, version, fallback) until it closes. */
  observe(state: SecretsState<object>): void;
  /** The watch stream's state changed. */
  streamState(state: WatchStreamState): void;
  /** When the exchanged Doppler token in use expires, in epoch milliseconds (undefined: none held). */
  tokenExpiresAt(at: number | undefined): void;
  /** A request outside a fetch (the watch stream's connect) ended: its status, or the code of no answer. */
  countRequest(status: number | undefined, errorType?: string): void;
}

const NOOP_FETCH: FetchTelemetry = {
  response() {},
  retrying() {},
  changed() {},
  unchanged() {},
  failed() {},
  abandoned() {},
  inSpan: (work) => work(),
};

/** Telemetry when there is none: no API installed, no SDK registered at boot, or turned off. */
export const NOOP_TELEMETRY: InstanceTelemetry = {
  startFetch: () => NOOP_FETCH,
  observe() {},
  streamState() {},
  tokenExpiresAt() {},
  countRequest() {},
};

/** Who a registration is, for the attributes. */
export interface TelemetryIdentity {
  /** The registration's name; none for the unnamed one. */
  readonly name?: string;
  readonly scope: DopplerScope;
  /** Where the secrets come from, as `SecretsMetadata.source` names it. */
  readonly source: 'doppler-api' | 'environment' | 'mounted';
  /** Whether the fallback option is on (then the fallback gauge is reported). */
  readonly fallback: boolean;
}

/**
 * The telemetry of one registration, taken from the global providers now (at boot, not at import,
 * so an SDK the app starts after its imports is seen): {@link NOOP_TELEMETRY} unless the app has
 * `@opentelemetry/api` and registered a meter or tracer provider. With neither registered (the
 * API's global registry says so) the API is not loaded at all; once it has loaded, the answer
 * comes without waiting; `identity` is asked for only when there is something to report to.
 */
export function createInstanceTelemetry(
  options: ResolvedTelemetryOptions | undefined,
  identity: TelemetryIdentity | (() => TelemetryIdentity),
  clock: Clock,
  load: () => Promise<OtelApi | undefined> = loadOtelApi,
): InstanceTelemetry | Promise<InstanceTelemetry> {
  if (options?.enabled === false || !otelProviderRegistered()) return NOOP_TELEMETRY;
  const settled = load === loadOtelApi ? loadedOtelApi() : undefined;
  if (settled !== undefined) return telemetryFrom(settled.api, options, identity, clock);
  return load().then((api) => telemetryFrom(api, options, identity, clock));
}

function telemetryFrom(
  api: OtelApi | undefined,
  options: ResolvedTelemetryOptions | undefined,
  identity: TelemetryIdentity | (() => TelemetryIdentity),
  clock: Clock,
): InstanceTelemetry {
  if (api === undefined) return NOOP_TELEMETRY;
  const meter = api.metrics.getMeter(TELEMETRY_SCOPE);
  const instruments = meter === api.createNoopMeter() ? undefined : instrumentsFor(meter);
  // Until a tracer provider is registered, the API hands out proxies to its no-op tracer: its own
  // proxy provider says whether one is (its delegate's tracer), without making a proxy per boot.
  const provider = api.trace.getTracerProvider();
  const tracer =
    provider instanceof api.ProxyTracerProvider
      ? provider.getDelegateTracer(TELEMETRY_SCOPE)
      : provider.getTracer(TELEMETRY_SCOPE);
  const recording = tracer === undefined || tracer instanceof api.ProxyTracer ? undefined : tracer;
  if (instruments === undefined && recording === undefined) return NOOP_TELEMETRY;
  return new OtelInstanceTelemetry(
    {
      instruments,
      tracer: recording,
      activate: (span, work) => api.context.with(api.trace.setSpan(api.context.active(), span), work),
      errorCode: api.SpanStatusCode.ERROR,
      clock,
    },
    typeof identity === 'function' ? identity() : identity,
    options?.includeSecretNames === true,
  );
}

interface Reporting {
  readonly instruments: Instruments | undefined;
  readonly tracer: OtelTracer | undefined;
  /** Runs `work` with `span` active in the app's context manager. */
  readonly activate: <R>(span: OtelSpan, work: () => R) => R;
  readonly errorCode: number;
  readonly clock: Clock;
}

/** Names listed per span attribute at most; the count says how many there were. */
const MAX_NAMES = 100;

class OtelInstanceTelemetry implements InstanceTelemetry, GaugeSource {
  #base: OtelAttributes;
  readonly #requestAttributes = new Map<number | string, OtelAttributes>();
  #state: SecretsState<object> | undefined;
  #watch: WatchStreamState | undefined;
  #watchAttributes: Record<WatchStreamState, OtelAttributes> | undefined;
  #tokenExpiresAt: number | undefined;

  constructor(
    readonly reporting: Reporting,
    readonly identity: TelemetryIdentity,
    readonly includeSecretNames: boolean,
  ) {
    this.#base = baseAttributes(identity, identity.scope);
  }

  get base(): OtelAttributes {
    return this.#base;
  }

  startFetch(phase: 'bootstrap' | 'refresh'): FetchTelemetry {
    return new OtelFetch(this, phase);
  }

  observe(state: SecretsState<object>): void {
    const { instruments } = this.reporting;
    // Doppler's own DOPPLER_PROJECT/DOPPLER_CONFIG name the scope when the options did not.
    this.identify(state.current.metadata);
    if (instruments === undefined) return;
    this.#state = state;
    instruments.add(this);
    state.changes.subscribe({ complete: () => instruments.delete(this) });
  }

  identify(metadata: SecretsMetadata): void {
    const scope = {
      ...this.identity.scope,
      ...(metadata.project !== undefined && { project: metadata.project }),
      ...(metadata.config !== undefined && { config: metadata.config }),
    };
    const next = baseAttributes(this.identity, scope);
    if (
      next['doppler.project'] === this.#base['doppler.project'] &&
      next['doppler.config'] === this.#base['doppler.config']
    )
      return;
    this.#base = next;
    this.#requestAttributes.clear();
    this.#watchAttributes = undefined;
  }

  streamState(state: WatchStreamState): void {
    this.#watch = state;
  }

  tokenExpiresAt(at: number | undefined): void {
    this.#tokenExpiresAt = at;
  }

  countRequest(status: number | undefined, errorType?: string): void {
    const requests = this.reporting.instruments?.requests;
    if (requests === undefined) return;
    const key = status ?? errorType ?? '_OTHER';
    let attributes = this.#requestAttributes.get(key);
    if (attributes === undefined) {
      attributes =
        status !== undefined
          ? { ...this.#base, 'http.response.status_code': status }
          : { ...this.#base, 'error.type': errorType ?? '_OTHER' };
      this.#requestAttributes.set(key, attributes);
    }
    requests.add(1, attributes);
  }

  collect(result: OtelBatchResult, instruments: Instruments): void {
    const state = this.#state;
    if (state === undefined || state.closed) return;
    const status = state.status;
    const base = this.#base;
    result.observe(instruments.age, status.ageMs / 1000, base);
    result.observe(instruments.stale, status.stale ? 1 : 0, base);
    result.observe(instruments.version, status.version, base);
    if (this.identity.fallback) {
      result.observe(instruments.fallback, state.current.metadata.source === 'fallback' ? 1 : 0, base);
    }
    const watch = this.#watch;
    if (watch !== undefined) {
      this.#watchAttributes ??= Object.fromEntries(
        WATCH_STREAM_STATES.map((s): [WatchStreamState, OtelAttributes] => [
          s,
          { ...base, 'doppler.watch.state': s },
        ]),
      ) as Record<WatchStreamState, OtelAttributes>;
      for (const s of WATCH_STREAM_STATES) {
        result.observe(instruments.watchState, s === watch ? 1 : 0, this.#watchAttributes[s]);
      }
    }
    if (this.#tokenExpiresAt !== undefined) {
      result.observe(
        instruments.tokenExpiry,
        (this.#tokenExpiresAt - this.reporting.clock.now()) / 1000,
        base,
      );
    }
  }
}

class OtelFetch implements FetchTelemetry {
  readonly #started: number;
  readonly #span: OtelSpan | undefined;
  #ended = false;
  #attempts = 0;
  // At bootstrap the scope may be known only from the set itself (a service token names none):
  // its requests are counted when the fetch ends, under the attributes of the later ones.
  #pending: [number | undefined, string | undefined][] | undefined;

  constructor(
    private readonly owner: OtelInstanceTelemetry,
    private readonly phase: 'bootstrap' | 'refresh',
  ) {
    this.#started = owner.reporting.clock.now();
    this.#span = owner.reporting.tracer?.startSpan(`doppler.secrets.${phase}`, {
      attributes: { ...owner.base, 'doppler.phase': phase },
    });
  }

  response(status: number | undefined, errorType?: string): void {
    this.#attempts++;
    if (this.phase === 'bootstrap' && !this.#ended) (this.#pending ??= []).push([status, errorType]);
    else this.owner.countRequest(status, errorType);
    if (status !== undefined) this.#span?.setAttribute('http.response.status_code', status);
  }

  retrying(attempt: number, errorType: string, delayMs: number): void {
    this.#span?.addEvent('doppler.retry', {
      'doppler.attempt': attempt,
      'error.type': errorType,
      'doppler.retry.delay': delayMs / 1000,
    });
  }

  changed(metadata: SecretsMetadata, version: number, change?: SecretsChange): void {
    this.owner.identify(metadata);
    const span = this.#span;
    if (span !== undefined) {
      span.setAttribute('doppler.secrets.version', version);
      if (change !== undefined) {
        const { changed, added, removed } = change;
        span.setAttribute('doppler.change.count', changed.length + added.length + removed.length);
        if (this.owner.includeSecretNames) {
          span.setAttributes({
            'doppler.change.changed': changed.slice(0, MAX_NAMES),
            'doppler.change.added': added.slice(0, MAX_NAMES),
            'doppler.change.removed': removed.slice(0, MAX_NAMES),
          });
        }
      }
    }
    this.finish('changed', metadata.source);
  }

  unchanged(): void {
    this.finish('unchanged', this.owner.identity.source);
  }

  failed(errorType: string): void {
    this.#span?.setStatus({ code: this.owner.reporting.errorCode, message: errorType });
    this.finish('failed', this.owner.identity.source, errorType);
  }

  inSpan<R>(work: () => Promise<R>): Promise<R> {
    const span = this.#span;
    return span === undefined ? work() : this.owner.reporting.activate(span, work);
  }

  abandoned(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const [status, type] of this.#pending ?? []) this.owner.countRequest(status, type);
    this.#span?.end();
  }

  private finish(outcome: 'changed' | 'unchanged' | 'failed', source: string, errorType?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const [status, type] of this.#pending ?? []) this.owner.countRequest(status, type);
    this.#pending = undefined;
    const attributes: OtelAttributes = {
      ...this.owner.base,
      'doppler.phase': this.phase,
      'doppler.outcome': outcome,
      'doppler.source': source,
      ...(errorType !== undefined && { 'error.type': errorType }),
    };
    const { instruments, clock } = this.owner.reporting;
    instruments?.duration.record(Math.max(0, clock.now() - this.#started) / 1000, attributes);
    const span = this.#span;
    if (span !== undefined) {
      span.setAttributes({ ...attributes, 'doppler.attempts': this.#attempts });
      span.end();
    }
  }
}

/** What `error.type` says of a thrown value: our error's code, or `_OTHER` (its message may quote anything). */
export function errorTypeOf(error: unknown): string {
  return error instanceof DopplerError ? error.code : '_OTHER';
}

/** Doppler's project and config names; anything else a server sent is left out, not exported. */
const SLUG = /^[A-Za-z0-9_.-]{1,128}$/;

function baseAttributes(identity: TelemetryIdentity, scope: DopplerScope): OtelAttributes {
  const { project, config } = scope;
  return {
    ...(project !== undefined && SLUG.test(project) && { 'doppler.project': project }),
    ...(config !== undefined && SLUG.test(config) && { 'doppler.config': config }),
    ...(identity.name !== undefined && { 'doppler.instance': identity.name }),
  };
}
