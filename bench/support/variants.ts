/**
 * The start-up variants as Nest root modules. Each is a fresh module graph built from the
 * same schema and emulator; only what happens at bootstrap differs. This file imports
 * nothing but @nestjs/common, so a cold start of (a) loads no more than a bare app.
 */
import { Module, type Type } from '@nestjs/common';

export type VariantId = 'a' | 'b' | 'c' | 'd' | 'e';

export const VARIANT_LABELS: Readonly<Record<VariantId, string>> = {
  a: '(a) bare Nest context',
  b: '(b) + DopplerModule',
  c: '(c) + hand-rolled axios',
  d: '(d) + official SDK',
  e: '(e) loader only (diagnostic)',
};

export const HAND_ROLLED_SECRETS = Symbol('hand-rolled secrets');
export const SDK_SECRETS = Symbol('sdk secrets');
export const LOADER_SECRETS = Symbol('loader secrets');

export type Fetcher<T extends object> = (apiUrl: string, token: string, schema: Type<T>) => Promise<T>;

/** (a): an empty module, the floor every variant stands on. */
export function bareModule(): Type<unknown> {
  @Module({})
  class BareModule {}
  return BareModule;
}

/** (c) and (d): a factory provider that fetches and validates before the context is ready. */
export function fetcherModule<T extends object>(
  provide: symbol,
  fetcher: Fetcher<T>,
  apiUrl: string,
  token: string,
  schema: Type<T>,
): Type<unknown> {
  @Module({ providers: [{ provide, useFactory: () => fetcher(apiUrl, token, schema) }] })
  class FetcherModule {}
  return FetcherModule;
}
