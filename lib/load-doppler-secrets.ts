import { Logger } from '@nestjs/common';
import { LOGGER_CONTEXT } from './doppler.constants.js';
import { holdProcessOpen, lazyDeadline, systemClock, type Clock, type SignalSource } from './core/clock.js';
import { describeScope, type DopplerScope } from './core/scope.js';
import { ScopePin } from './core/scope-pin.js';
import { FallbackPolicy } from './fallback/fallback-policy.js';
import type { DopplerModuleOptions } from './interfaces/doppler-module-options.interface.js';
import { SecretsRefresher } from './refresh/secrets-refresher.js';
import { SecretsState, type ValidatedSet } from './refresh/secrets-state.js';
import { serviceFor, type SecretsService } from './secrets.service.js';
import { ApiSource } from './sources/api.source.js';
import { EnvironmentSource } from './sources/environment.source.js';
import { MountedSource, type MountedSourceDeps } from './sources/mounted.source.js';
import type { LoadedSet, LoadRequest, SecretsSource } from './sources/secrets-source.js';
import { validateLoadedSet } from './sources/validate-loaded-set.js';
import { resolveModuleOptions, type ResolvedModuleOptions } from './options/resolve-options.js';
import type { FetchObserver } from './telemetry/fetch-observer.js';
import {
  createInstanceTelemetry,
  errorTypeOf,
  type InstanceTelemetry,
} from './telemetry/doppler-telemetry.js';

/**
 * @internal What the pipeline runs on; tests inject fake time and a quiet logger. `DopplerModule`
 * takes them from its `DOPPLER_PIPELINE_DEPS` provider (empty unless a test replaced it).
 */
export interface PipelineDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Jitter of the bootstrap retries and of the refresh timer, in [0, 1). */
  readonly random?: () => number;
  /** PBKDF2 rounds of the fallback copies written; tests that are not about the rounds use few. */
  readonly fallbackRounds?: number;
  /** The mounted source's file system and watch (a test acts between two reads, or drops events). */
  readonly mounted?: MountedSourceDeps;
  /** The registration's name (`DopplerModule.forRoot({ name })`), for telemetry's attributes. */
  readonly name?: string;
}

/** @internal A loaded service and, when the options ask for one, the refresher that keeps it current. */
export interface Bootstrapped<T extends object> {
  readonly service: SecretsService<T>;
  readonly refresher?: SecretsRefresher;
  /** Where a change channel (the watch stream) or an auth strategy (OIDC) reports its state. */
  readonly telemetry: InstanceTelemetry;
}

/**
 * @internal The one pipeline, for every source: options checked once, the set loaded (with
 * retries, fallback and deadline as the options say), validated, and made the first version of a
 * service. A refreshable source gets a refresher, created but not started (it runs timers only
 * with the `refresh` option); without `refresh`, `webhook` or a change channel it is created on the
 * first `service.refresh()`.
 */
export async function bootstrapSecrets<T extends object>(
  options: DopplerModuleOptions,
  deps: PipelineDeps = {},
): Promise<Bootstrapped<T>> {
  // The caller awaits the bootstrap, but its waits (the backoff between attempts, the deadline)
  // run on timers that never hold the process open: in a script with nothing else to do (a
  // migration, a worker's start), Node would exit in the middle of a retry, the promise never
  // settled and no error shown. The bootstrap holds the process open until it settles, no longer.
  const release = holdProcessOpen();
  try {
    return await bootstrap<T>(options, deps);
  } finally {
    release();
  }
}

async function bootstrap<T extends object>(
  options: DopplerModuleOptions,
  deps: PipelineDeps,
): Promise<Bootstrapped<T>> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? new Logger(LOGGER_CONTEXT);
  const resolved = resolveModuleOptions(options, deps.env);
  const started = clock.now();
  const deadlineAt = started + resolved.deadline;
  // Armed only if something reads its signal: a fixed token and a synchronous schema never wait
  // outside the download, whose requests keep to deadlineAt with deadlines of their own.
  const deadline = lazyDeadline(clock, resolved.deadline);
  const scope = {
    ...(resolved.project !== undefined && { project: resolved.project }),
    ...(resolved.config !== undefined && { config: resolved.config }),
  };
  const pin = new ScopePin(
    scope,
    resolved.credential?.kind === 'static' ? resolved.credential.token : undefined,
  );
  const made = createInstanceTelemetry(
    resolved.telemetry,
    () => ({
      ...(deps.name !== undefined && { name: deps.name }),
      scope,
      source:
        resolved.source === 'api' ? 'doppler-api' : resolved.source === 'env' ? 'environment' : 'mounted',
      fallback: resolved.fallback !== undefined,
    }),
    clock,
  );
  // Only the process's first boot waits for the API to load.
  const telemetry = made instanceof Promise ? await made : made;
  const source = createSource(resolved, pin, clock, logger, deps, telemetry);

  const fetch = telemetry.startFetch('bootstrap');
  let set: LoadedSet;
  let first: ValidatedSet;
  let state: SecretsState<T>;
  let service: SecretsService<T>;
  try {
    ({ set, first } = await fetch
      .inSpan(() => loadFirstSet(source, resolved.schema, scope, pin, deadline, deadlineAt, fetch))
      .catch(async (error: unknown) => {
        fetch.failed(errorTypeOf(error));
        // Nothing will use the source: release what it holds (an exchanged token is revoked).
        await source.close?.();
        throw error;
      }));
    fetch.changed(first.metadata, 1);
    state = new SecretsState<T>(first, clock);
    telemetry.observe(state as unknown as SecretsState<object>);
    service = serviceFor(state);
    await source.accepted?.(set, first.metadata, deadline.signal);
  } finally {
    // Bootstrap is over: its deadline has nothing left to bound.
    deadline.release();
  }

  const from = first.metadata.source === 'fallback' ? 'the fallback copy' : source.description;
  logger.log(
    `Loaded ${service.keys().length} secrets from ${from} (${describeScope(first.metadata, 'scope not named')}) in ${Math.round(clock.now() - started)} ms`,
  );
  if (!source.refreshable) {
    if (options.refresh !== undefined && options.source === 'env') {
      logger.warn(
        'The refresh option has no effect with secrets from the environment: a process environment is fixed. Use `doppler run --watch`, or a token.',
      );
    }
    return { service, telemetry };
  }
  let refresher: SecretsRefresher | undefined;
  const refresherOf = (): SecretsRefresher =>
    (refresher ??= new SecretsRefresher(
      state as unknown as SecretsState<object>,
      source,
      { ...resolved, scope },
      pin,
      { clock, logger, telemetry, ...(deps.random && { random: deps.random }) },
    ));
  // Without a timer (refresh, with or without its watch stream), a webhook or a mounted volume's
  // hot reload, only `service.refresh()` needs one: made then.
  if (resolved.refresh !== undefined || resolved.webhook !== undefined || resolved.source === 'mounted') {
    refresherOf();
  }
  // Closing releases what the source holds (an exchanged token is revoked), refresher or not.
  state.onClose(() => refresher?.stop() ?? source.close?.() ?? Promise.resolve());
  state.onRefresh(() => refresherOf().refreshNow());
  return { service, ...(refresher !== undefined && { refresher }), telemetry };
}

/**
 * Loads the secrets outside Nest's container, through the same pipeline as `DopplerModule`:
 * the same options and checks, retries within the deadline, fallback, validation and masking.
 * Use it where no app is booted: a TypeORM `DataSource` file, a Prisma seed, a migration
 * script, a worker. With `refresh` or `webhook` the service refreshes itself until
 * `close()`: call it when done, or the refresh timer ends with the process (it never keeps the
 * process alive).
 *
 * @throws {DopplerError} as `DopplerModule` at bootstrap (a subclass naming what failed).
 * @throws {SecretsValidationError} when the secrets do not match the schema.
 * @example
 * const secrets = await loadDopplerSecrets<AppSecrets>({ token: process.env.DOPPLER_TOKEN, schema: AppSecrets });
 * const url = secrets.get('DATABASE_URL').reveal();
 * await secrets.close();
 */
export function loadDopplerSecrets<T extends object = Record<string, string>>(
  options: DopplerModuleOptions,
): Promise<SecretsService<T>> {
  return loadDopplerSecretsWith<T>(options, {});
}

/** @internal {@link loadDopplerSecrets} on the given dependencies (fake time, in tests). */
export async function loadDopplerSecretsWith<T extends object = Record<string, string>>(
  options: DopplerModuleOptions,
  deps: PipelineDeps,
): Promise<SecretsService<T>> {
  const { service, refresher } = await bootstrapSecrets<T>(options, deps);
  refresher?.start();
  return service;
}

/** The bootstrap load and its validation: the set that becomes the first version. */
async function loadFirstSet(
  source: SecretsSource,
  schema: ResolvedModuleOptions['schema'],
  scope: DopplerScope,
  pin: ScopePin,
  deadline: SignalSource,
  deadlineAt: number,
  observer: FetchObserver,
): Promise<{ readonly set: LoadedSet; readonly first: ValidatedSet }> {
  const request: LoadRequest = {
    phase: 'bootstrap',
    get signal() {
      return deadline.signal;
    },
    deadlineAt,
    observer,
  };
  const outcome = await source.load(request);
  if (outcome.kind !== 'set') throw new TypeError('a bootstrap load always brings a set');
  return { set: outcome.set, first: await validateLoadedSet(outcome.set, schema, scope, pin, deadline) };
}

function createSource(
  resolved: ResolvedModuleOptions,
  pin: ScopePin,
  clock: Clock,
  logger: Logger,
  deps: PipelineDeps,
  telemetry: InstanceTelemetry,
): SecretsSource {
  if (resolved.source === 'env') return new EnvironmentSource(deps.env, clock);
  if (resolved.source === 'mounted' && resolved.mounted !== undefined) {
    const limits = { maxBytes: resolved.maxResponseBytes, deadline: resolved.deadline };
    return new MountedSource(resolved.mounted, limits, clock, logger, deps.mounted);
  }
  const api = new ApiSource(resolved, pin, clock, logger, deps.env, deps.random, telemetry);
  return resolved.fallback
    ? new FallbackPolicy(api, resolved.fallback, pin, clock, logger, deps.fallbackRounds)
    : api;
}
