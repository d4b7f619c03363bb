import type { PresentedCredentials } from './emulator-auth.js';
import type { PlannedResponse } from './emulator-errors.js';
import type { SlidingWindowRateLimiter } from './emulator-rate-limiter.js';
import type { EmulatorStore } from './emulator-store.js';

/** The parts of a request a route looks at; the token stays inside `credentials`, never logged. */
export interface EmulatorRouteRequest {
  readonly method: string;
  readonly query: URLSearchParams;
  readonly credentials: PresentedCredentials;
  readonly ifNoneMatch: string | undefined;
  /** The request body as UTF-8 text (`''` for none), already bounded by the emulator. */
  readonly body: string;
}

/** Shared state every route answers from. */
export interface EmulatorRouteContext {
  readonly store: EmulatorStore;
  readonly limiter: SlidingWindowRateLimiter | undefined;
  readonly now: number;
}

/**
 * One endpoint the emulator serves. A new endpoint is one file exporting one of these,
 * listed in `EMULATOR_ROUTES`; the contract check then tests it against Doppler's OpenAPI document.
 */
export interface EmulatorRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Exact path, as in Doppler's OpenAPI document (`/v3/configs/config/secrets/download`). */
  readonly path: string;
  /** Whether injected faults (`injectFaults`, `setFault`) answer instead of this route. */
  readonly acceptsFaults: boolean;
  /** Computes the whole answer before anything is written, so a failure can still become a 500. */
  answer(request: EmulatorRouteRequest, context: EmulatorRouteContext): PlannedResponse;
}
