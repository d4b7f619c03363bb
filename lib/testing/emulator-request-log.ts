import { createMasker } from '../redaction/pattern-matcher.js';
import type { EmulatorAuthScheme, EmulatorTokenKind } from './emulator-auth.js';
import type { EmulatorFaultKind } from './emulator-faults.js';
import type { EmulatorWatchFaultKind } from './emulator-watch.js';

/**
 * One request the emulator received. Holds no token and no secret value, so it is
 * safe to print in a failing test.
 *
 * @publicApi
 */
export interface EmulatorRequest {
  readonly method: string;
  /** Path without the query string; anything shaped like a Doppler token is replaced by `[redacted]`. */
  readonly path: string;
  /** Only `project`, `config`, `format` and `secrets` (names), when present. */
  readonly query: Readonly<Record<string, string>>;
  readonly auth: EmulatorAuthScheme;
  readonly tokenKind: EmulatorTokenKind;
  /** Status sent; `0` when no status line was sent (a `hang` fault). */
  readonly status: number;
  readonly at: Date;
  /** Set when an injected fault answered instead of the emulator. */
  readonly fault?: EmulatorFaultKind | EmulatorWatchFaultKind;
}

/** A log entry while its request is in flight; the status is filled in once known. */
export type PendingRequest = { -readonly [K in keyof EmulatorRequest]: EmulatorRequest[K] };

const LOGGED_QUERY_KEYS = ['project', 'config', 'format', 'secrets'] as const;
const TOKEN_SHAPE = /dp\.[a-z]+\.[^/?&#\s]*/gi;
const REDACTED = '[redacted]';

/** Entries kept by default: a long-running emulator (a dev loop, a fleet run) must not grow without end. */
export const DEFAULT_REQUEST_LOG_LIMIT = 10_000;

/**
 * Appends entries, scrubbing anything that could be a credential before it is stored. Keeps the
 * newest `limit` entries; `size` still counts every request since the last `clear()`.
 */
export class RequestLog {
  private readonly entries: PendingRequest[] = [];
  private total = 0;

  constructor(private readonly limit: number = DEFAULT_REQUEST_LOG_LIMIT) {}

  get size(): number {
    return this.total;
  }

  record(
    entry: Omit<PendingRequest, 'path' | 'query'>,
    path: string,
    query: URLSearchParams,
    secrets: Iterable<string>,
  ): PendingRequest {
    const scrub = scrubber(secrets);
    const safeQuery: Record<string, string> = {};
    for (const key of LOGGED_QUERY_KEYS) {
      const value = query.get(key);
      if (value !== null) {
        safeQuery[key] = scrub(value);
      }
    }
    const pending: PendingRequest = { ...entry, path: scrub(path), query: safeQuery };
    this.entries.push(pending);
    this.total++;
    // Dropped in batches, so each request costs O(1) amortised rather than a shift of the array.
    if (this.entries.length > this.limit * 1.25) this.entries.splice(0, this.entries.length - this.limit);
    return pending;
  }

  snapshot(): readonly EmulatorRequest[] {
    return this.entries
      .slice(-this.limit)
      .map((entry) =>
        Object.freeze({ ...entry, query: Object.freeze({ ...entry.query }), at: new Date(entry.at) }),
      );
  }

  clear(): void {
    this.entries.length = 0;
    this.total = 0;
  }
}

// Known and presented tokens are removed verbatim too (also escaped or cut), in case one lacks
// the usual shape: through the library's one masking engine.
function scrubber(secrets: Iterable<string>): (text: string) => string {
  const mask = createMasker(
    [...secrets].filter((secret) => secret.length > 0),
    { mask: REDACTED },
  );
  return (text) => mask(text.replace(TOKEN_SHAPE, REDACTED));
}
