import type { OtelBatchResult, OtelCounter, OtelHistogram, OtelMeter, OtelObservable } from './otel-api.js';

/** Bucket bounds in seconds, as OpenTelemetry's semantic conventions advise for request durations. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30];

/** One registration's gauges, read at each collection. */
export interface GaugeSource {
  collect(result: OtelBatchResult, instruments: Instruments): void;
}

/**
 * Every instrument this module reports, made once per meter (so several registrations, and
 * several boots in one process, share them), with one callback that reads the gauges of every
 * registration still open.
 */
export class Instruments {
  readonly duration: OtelHistogram;
  readonly requests: OtelCounter;
  readonly age: OtelObservable;
  readonly stale: OtelObservable;
  readonly version: OtelObservable;
  readonly fallback: OtelObservable;
  readonly watchState: OtelObservable;
  readonly tokenExpiry: OtelObservable;
  readonly #sources = new Set<GaugeSource>();

  constructor(meter: OtelMeter) {
    this.duration = meter.createHistogram('doppler.secrets.fetch.duration', {
      description:
        'Duration of one fetch of the secrets (bootstrap, or one refresh cycle), validation included.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.requests = meter.createCounter('doppler.requests', {
      description: 'Requests to the Doppler API, by status code (error.type when no answer came).',
      unit: '{request}',
    });
    this.age = meter.createObservableGauge('doppler.secrets.age', {
      description: 'Time since Doppler (or the synced volume) last confirmed the set being served.',
      unit: 's',
    });
    this.stale = meter.createObservableGauge('doppler.secrets.stale', {
      description:
        '1 while the set served may be out of date (the last check failed, or the fallback copy serves), else 0.',
      unit: '1',
    });
    this.version = meter.createObservableGauge('doppler.secrets.version', {
      description: 'Local version of the set being served: 1 at bootstrap, one more per change applied.',
      unit: '{version}',
    });
    this.fallback = meter.createObservableGauge('doppler.secrets.fallback', {
      description:
        '1 while the encrypted last-known-good copy serves, else 0 (with the fallback option only).',
      unit: '1',
    });
    this.watchState = meter.createObservableGauge('doppler.watch.state', {
      description: "1 for the watch stream's current state (doppler.watch.state), 0 for the others.",
      unit: '1',
    });
    this.tokenExpiry = meter.createObservableGauge('doppler.auth.token.time_to_expiry', {
      description: 'Time until the exchanged (OIDC) Doppler token in use expires.',
      unit: 's',
    });
    meter.addBatchObservableCallback(
      (result) => {
        for (const source of this.#sources) source.collect(result, this);
      },
      [this.age, this.stale, this.version, this.fallback, this.watchState, this.tokenExpiry],
    );
  }

  add(source: GaugeSource): void {
    this.#sources.add(source);
  }

  delete(source: GaugeSource): void {
    this.#sources.delete(source);
  }
}

const byMeter = new WeakMap<OtelMeter, Instruments>();

/** The instruments of `meter`, made on first use. */
export function instrumentsFor(meter: OtelMeter): Instruments {
  let instruments = byMeter.get(meter);
  if (instruments === undefined) {
    instruments = new Instruments(meter);
    byMeter.set(meter, instruments);
  }
  return instruments;
}
