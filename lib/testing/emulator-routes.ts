import { DOWNLOAD_ROUTE } from './emulator-download.js';
import { NAMES_ROUTE } from './emulator-names.js';
import { OIDC_ROUTE } from './emulator-oidc.js';
import { REVOKE_ROUTE } from './emulator-revoke.js';
import type { EmulatorRoute } from './emulator-route.js';
import { WATCH_ROUTE } from './emulator-watch.js';

/**
 * Every endpoint the emulator serves. Adding one here is all the emulator needs; the contract
 * check (scripts/contract) picks it up and fails until Doppler's OpenAPI document agrees with it.
 */
export const EMULATOR_ROUTES: readonly EmulatorRoute[] = [
  DOWNLOAD_ROUTE,
  NAMES_ROUTE,
  OIDC_ROUTE,
  REVOKE_ROUTE,
  WATCH_ROUTE,
];

/** What a path resolves to: the route for the method, or the methods the path does accept. */
export interface RouteMatch {
  readonly route: EmulatorRoute | undefined;
  /** Methods served on this path; empty when the path is unknown (a 404 rather than a 405). */
  readonly allowedMethods: readonly string[];
}

/**
 * Looks a request up in a route table.
 *
 * @example
 * matchRoute(EMULATOR_ROUTES, 'GET', '/v3/configs/config/secrets/download').route; // DOWNLOAD_ROUTE
 */
export function matchRoute(routes: readonly EmulatorRoute[], method: string, path: string): RouteMatch {
  const onPath = routes.filter((route) => route.path === path);
  return {
    route: onPath.find((route) => route.method === method),
    allowedMethods: onPath.map((route) => route.method),
  };
}
