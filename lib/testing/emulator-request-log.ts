import type { EmulatorAuthScheme, EmulatorTokenKind } from './emulator-auth.js';
import type { EmulatorFaultKind } from './emulator-faults.js';

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
  readonly fault?: EmulatorFaultKind;
}

/** A log entry while its request is in flight; the status is filled in once known. */
export type PendingRequest = { -readonly [K in keyof EmulatorRequest]: EmulatorRequest[K] };

const LOGGED_QUERY_KEYS = ['project', 'config', 'format', 'secrets'] as const;
const TOKEN_SHAPE = /dp\.[a-z]+\.[^/?&#\s]*/gi;
const REDACTED = '[redacted]';

/** Appends entries, scrubbing anything that could be a credential before it is stored. */
export class RequestLog {
  private readonly entries: PendingRequest[] = [];

  get size(): number {
    return this.entries.length;
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
    return pending;
  }

  snapshot(): readonly EmulatorRequest[] {
    return this.entries.map((entry) =>
      Object.freeze({ ...entry, query: Object.freeze({ ...entry.query }), at: new Date(entry.at) }),
    );
  }

  clear(): void {
    this.entries.length = 0;
  }
}

// Known and presented tokens are removed verbatim too, in case one lacks the usual shape.
function scrubber(secrets: Iterable<string>): (text: string) => string {
  const verbatim = [...secrets].filter((secret) => secret.length > 0);
  return (text) => {
    let result = text.replace(TOKEN_SHAPE, REDACTED);
    for (const secret of verbatim) {
      result = result.split(secret).join(REDACTED);
    }
    return result;
  };
}
