/** Shapes of what each section emits (see the section scripts), as the report reads them. */
import type { MachineInfo } from './machine.js';
import type { StepTiming } from './measure.js';
import type { WatchResult } from './watch-report.js';

export interface Ratio {
  readonly value: number;
  readonly ci95: readonly [number, number];
}

export interface StartupResult {
  readonly rounds: number;
  readonly warmup: number;
  readonly variants: readonly {
    id: string;
    label: string;
    medianMs: number;
    p25Ms: number;
    p75Ms: number;
    medianCpuMs: number;
  }[];
  readonly addedMs: { readonly b: number; readonly c: number; readonly d: number; readonly e: number };
  readonly ratios: {
    readonly addedBoverC: Ratio;
    readonly addedBoverD: Ratio;
    readonly totalBoverC: Ratio;
    readonly totalBoverA: Ratio;
    readonly totalCoverA: Ratio;
    readonly totalDoverA: Ratio;
    readonly addedEoverC: Ratio;
  };
  readonly diagnostic: { readonly wiringMs: number; readonly fetchPathMs: number };
  readonly cold: readonly {
    id: string;
    label: string;
    runs: number;
    medianMs: number;
    p25Ms: number;
    p75Ms: number;
  }[];
  readonly coldRatios?: { readonly addedBoverC: Ratio; readonly addedBoverD: Ratio };
}

export interface GetTimeResult {
  readonly calls: number;
  readonly trials: number;
  readonly rows: readonly {
    name: string;
    readsPerSecondWall: number;
    readsPerSecondCpu: number;
    nsPerCallCpu: number;
  }[];
}

export interface GetAllocResult {
  readonly allocCalls: number;
  readonly rows: readonly { name: string; bytesPerCall: number; gcs: number }[];
}

export interface ValidationTimeResult {
  readonly keys: number;
  readonly bodyBytes: number;
  readonly parse: StepTiming;
  readonly validate: StepTiming;
  readonly build: StepTiming;
}

export interface ValidationMapResult {
  readonly keys: number;
  readonly validate: StepTiming;
}

export interface ValidationAllocResult {
  readonly keys: number;
  readonly validateAllocatedBytes: number;
  readonly gcs: number;
  readonly serviceRetainedBytes: number;
}

export interface RefreshPath {
  readonly cpuUs: number;
  readonly wallMs: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
}

export interface RefreshResultRow {
  readonly keys: number;
  readonly cycles: number;
  readonly notModified: RefreshPath;
  readonly changed: RefreshPath;
}

export interface Quantiles {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export interface BootRow {
  /** Options the policy sets; an unset one is the library's default. */
  readonly policy: {
    readonly name: string;
    readonly retries?: number;
    readonly deadline?: number;
    readonly timeout?: number;
  };
  readonly replicas: number;
  readonly bootedWithoutFallback: number;
  /** Booted in the same start with the fallback on (every replica holding a copy). */
  readonly bootedWithFallback: number;
  /** Of those, served by the copy. */
  readonly servedByFallback: number;
  readonly failedCodes: Readonly<Record<string, number>>;
  readonly readyMsWithout: Quantiles;
  readonly readyMsWith: Quantiles;
  /** Requests Doppler saw per replica (every attempt is one request). */
  readonly requestsPerReplica: number;
  readonly requests: number;
  readonly requestsWithFallback: number;
  readonly requestsByStatus: Readonly<Record<string, number>>;
  readonly peakRequestsPerMinute: number;
  readonly lastRequestAtMs: number;
}

export interface RefreshSimRow {
  readonly intervalMs: number;
  readonly jitter: number;
  readonly randomPhase: boolean;
  readonly replicas: number;
  readonly durationMs: number;
  readonly requests: number;
  readonly requestsPerMinuteSteady: number;
  readonly share429Steady: number;
  readonly requestsFirst10Min: number;
  readonly share429First10Min: number;
  readonly peakRequestsPerMinute: number;
  readonly ageMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly propagation: {
    readonly applied: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    readonly notAppliedByEnd: number;
  };
}

/** Percentiles of per-replica times (ms); `count` replicas had one. */
export interface Spread {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** One run of the fleet at scale (bench/fleet-scale.ts). */
export interface ScaleRow {
  readonly mode: 'api' | 'fallback' | 'mounted';
  /** Replicas simulated, and the token's requests a minute in the simulation. */
  readonly replicas: number;
  readonly rpm: number;
  /**
   * The fleet the run stands for: `factor` times the replicas and the rate limit. Per-replica
   * figures carry over unchanged; the fleet's counts (requests, restarts, derivations) are
   * multiplied by `factor`, the operator's requests (mounted) are not.
   */
  readonly represents?: { readonly replicas: number; readonly rpm: number; readonly factor: number };
  readonly spreadMs: number;
  readonly refresh?: { readonly intervalMs: number; readonly jitter: number };
  readonly pbkdf2ChargeMs?: number;
  readonly operator?: {
    readonly resyncMs: number;
    readonly kubeletSyncMs: readonly [number, number];
    readonly sawChangeAfterMs: number;
    readonly volumeUpdateAfterEditMs: Spread;
    readonly libraryAfterVolumeMs: Spread;
    readonly watchMisses: number;
  };
  readonly requests: {
    readonly total: number;
    readonly byStatus: Readonly<Record<string, number>>;
    readonly beforeEdit: number;
    readonly afterEdit: number;
    readonly peakPerMinute: number;
    readonly perMinuteAfterEdit: number;
  };
  /** From each replica's first start to serving. */
  readonly boot: Spread & {
    readonly notServingByEnd: number;
    readonly allServingAtS: number;
    readonly halfServingAtS: number;
    readonly restarts: number;
    readonly maxRestarts: number;
    readonly fromFallback: number;
    readonly failures: Readonly<Record<string, number>>;
  };
  /** From the edit in Doppler to each replica serving the new value. */
  readonly edit: Spread & {
    readonly atS: number;
    readonly servingAtEdit: number;
    readonly notAppliedByEnd: number;
    readonly endS: number;
  };
  readonly derivationsCharged: number;
  readonly fleetPbkdf2CpuS: number;
  readonly timeouts: number;
  readonly steps: { readonly timers: number; readonly instants: number };
  readonly realSeconds: number;
}

/** Section `scale`: the fleet at scale, one run per row. */
export interface ScaleResult {
  /** What each replica's key derivation is charged (section 5's PBKDF2 measurement, or its own). */
  readonly pbkdf2ChargeMs: number;
  readonly rows: readonly ScaleRow[];
}

export interface FleetResult {
  readonly replicas: number;
  readonly rpm: number;
  readonly spreadMs: number;
  /** What one fallback key derivation is charged (the median CPU time of PBKDF2 below). */
  readonly fallbackReadMs: number;
  /** PBKDF2-HMAC-SHA256, 500,000 rounds, 32 bytes, measured for real before the simulation. */
  readonly pbkdf2?: {
    readonly cpuMs: readonly number[];
    readonly wallMs: readonly number[];
    readonly chargeMs: number;
  };
  /** A real boot from the copy with Doppler refusing connections (retries 0), end to end. */
  readonly fallbackBoot?: { readonly wallMs: number; readonly cpuMs: number; readonly runs: number };
  readonly derivationsCharged?: number;
  readonly boot: readonly BootRow[];
  readonly outage: {
    readonly replicas: number;
    readonly outageMs: number;
    readonly rows: readonly BootRow[];
  };
  readonly refresh: readonly RefreshSimRow[];
  readonly timeouts: number;
  readonly realSeconds: number;
}

/** One row of section 6: redaction against a set of values. */
export interface RedactionRow {
  readonly label: string;
  readonly values: number;
  /** Total length of the values, in UTF-16 code units. */
  readonly valueBytes: number;
  /** Median CPU time of the first redact() of a fresh version (the redactor's build), after one such build. */
  readonly buildCpuMs: number;
  /** The same for the very first build in the process (cold JIT). */
  readonly firstBuildCpuMs: number;
  /** Heap and ArrayBuffer bytes a built version holds (service plus redactor), after full GCs. */
  readonly retainedBytes: number;
  /** CPU µs per redact() of the 1 KB line holding no secret. */
  readonly cleanUs: number;
  /** CPU µs per redact() of a 1 KB JSON log record with `\n` escapes and no secret. */
  readonly escapedUs: number;
  /** CPU µs per redact() of the 1 KB line holding one of the values (NaN for the 1 MiB row). */
  readonly withValueUs: number;
  /** CPU ms per redact() of the value itself (the 1 MiB row only; NaN otherwise). */
  readonly wholeValueMs: number;
  /** Baseline: CPU µs of `line.includes(value)` for one value. */
  readonly includesOneUs: number;
  /** Baseline: CPU µs of `line.includes(value)` for every value, one after the other. */
  readonly includesAllUs: number;
  /** The previous engine (one regular expression of every rendering), or why it could not run. */
  readonly regex:
    | {
        readonly buildCpuMs: number;
        readonly cleanUs: number;
        readonly escapedUs: number;
        readonly withValueUs: number;
      }
    | { readonly failed: string };
}

export interface RedactionResult {
  readonly lineBytes: number;
  readonly budgetMs: number;
  readonly builds: number;
  readonly rows: readonly RedactionRow[];
}

export interface BenchResults {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly quick: boolean;
  readonly machine: MachineInfo;
  readonly loadAverageAtEnd: readonly number[];
  /** Sections this run did not run (`--only`), kept from the run that produced them. */
  readonly carried?: readonly {
    readonly section: string;
    readonly command: string;
    readonly startedAt: string;
  }[];
  readonly startup?: StartupResult;
  readonly get?: { readonly time: GetTimeResult; readonly alloc: GetAllocResult };
  readonly validation?: readonly {
    readonly time: ValidationTimeResult;
    readonly alloc: ValidationAllocResult;
    readonly mapContainer?: ValidationMapResult;
  }[];
  readonly refresh?: readonly RefreshResultRow[];
  readonly fleet?: FleetResult;
  readonly scale?: ScaleResult;
  readonly redaction?: RedactionResult;
  readonly watch?: WatchResult;
}
