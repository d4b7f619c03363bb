import type { Type } from '@nestjs/common';
import type { StandardSchemaV1 } from '@standard-schema/spec';

/**
 * Options of {@link DopplerModule}. Pass them to `forRoot()`, or return them from the
 * factory of `forRootAsync()` so the token can come from `ConfigService` at runtime.
 *
 * @example
 * DopplerModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     token: config.getOrThrow('DOPPLER_TOKEN'),
 *     schema: AppSecrets,
 *   }),
 *   isGlobal: true,
 * });
 */
export interface DopplerModuleOptions {
  /**
   * The Doppler token, injected at runtime (never committed). A service token (`dp.st.`)
   * is scoped to one project and config and is the recommended kind for apps. Service
   * account (`dp.sa.`), OIDC identity (`dp.said.`), personal (`dp.pt.`) and CLI (`dp.ct.`)
   * tokens also work but need {@link project} and {@link config}. SCIM (`dp.scim.`) and
   * audit (`dp.audit.`) tokens cannot read secrets and are refused.
   * Give either `token` or {@link tokenFile}, not both, and neither with {@link oidc}.
   * @default undefined
   */
  token?: string;

  /**
   * A file holding the token (e.g. a mounted Kubernetes secret), read at start-up and
   * again before every refresh, so a rotated token is picked up without a restart.
   * Give either `tokenFile` or {@link token}, not both, and neither with {@link oidc}.
   * @default undefined
   */
  tokenFile?: string;

  /**
   * Workload identity: no stored Doppler token. The platform's OIDC token (a Kubernetes
   * projected service-account token, a GitHub Actions ID token, ...) is exchanged for a
   * short-lived `dp.said.` token of a Doppler service account identity at start-up, inside
   * {@link deadline}, and again when that token has less than 60 s left; it is revoked when the
   * app shuts down. Needs {@link project} and {@link config}; not with {@link token},
   * {@link tokenFile}, {@link mounted} or {@link fallback}.
   * @default undefined (a stored token)
   */
  oidc?: DopplerOidcOptions;

  /**
   * Refresh the secrets in place while the app runs. Each cycle asks Doppler with
   * `If-None-Match`, so an unchanged set costs a 304 and no parsing or validation. A
   * changed set is validated as a whole before it replaces the old one; an invalid set or a
   * failed fetch keeps the current one and is retried with backoff.
   * @default undefined (no refresh)
   */
  refresh?: DopplerRefreshOptions;

  /**
   * Accept Doppler's webhook to refresh at once when a secret changes (see
   * `createDopplerWebhookController`). Works with or without {@link refresh}.
   * @default undefined (webhook refused)
   */
  webhook?: DopplerWebhookOptions;

  /**
   * Where the secrets come from:
   * - `'api'`: fetched from Doppler's API with {@link token}, {@link tokenFile} or {@link oidc};
   * - `'env'`: read from `process.env`, as populated by `doppler run` (the schema's keys
   *   only; a schema is required), through the same validation and masking;
   * - `'mounted'`: read from the volume {@link mounted} names (the Doppler Kubernetes
   *   Operator's Secret, mounted into the pod), hot-reloaded when the kubelet swaps it;
   * - `'auto'`: the mounted volume when {@link mounted} is given (no token is needed), else the
   *   API when a token, a token file or {@link oidc} is configured, else the environment when
   *   it carries Doppler's `DOPPLER_PROJECT` and `DOPPLER_CONFIG` markers, else an error that
   *   explains the ways to run.
   * @default 'auto'
   */
  source?: 'api' | 'env' | 'mounted' | 'auto';

  /**
   * Read the secrets from a mounted volume instead of the API: the Kubernetes Secret the
   * Doppler Kubernetes Operator syncs (one file per secret, or one `DOPPLER_SECRETS_FILE` in
   * json or env format), or any directory of files (Docker secrets, the Secrets Store CSI
   * driver). One consistent version is read at a time, and a swap of the volume is applied in
   * place, validated as a whole first. Not with `fallback`; `token` is then not used.
   * @default undefined (secrets from the API or the environment)
   */
  mounted?: DopplerMountedOptions;

  /**
   * A class whose properties are decorated with class-validator (and class-transformer
   * `@Type` for non-strings). The fetched secrets are transformed into it and validated as
   * a whole; only the keys it declares are exposed, typed as it declares them.
   * Without a schema, every key Doppler returns is exposed as a string.
   * A Standard Schema object (zod, valibot, arktype, ...) works too: its output object is
   * what the app reads, and failures are reported the same way, without values.
   * @default undefined
   */
  schema?: Type<object> | StandardSchemaV1;

  /**
   * The Doppler project. Optional with a service token (it is bound to one); required for
   * every other token kind.
   * @default undefined
   */
  project?: string;

  /**
   * The Doppler config (environment branch, e.g. `prd`). Optional with a service token;
   * required for every other token kind.
   * @default undefined
   */
  config?: string;

  /**
   * Base URL of the Doppler API. Must be `https:`; `http:` is accepted only for loopback
   * addresses (the bundled emulator, local tests) unless
   * {@link dangerouslyAllowInsecureHttp} is set. A path prefix (a gateway at
   * `https://gw.corp/doppler`) is kept. Proxies come from `HTTPS_PROXY`/`NO_PROXY` and
   * friends, as curl reads them; a loopback address never goes through a proxy.
   * @default 'https://api.doppler.com'
   */
  apiUrl?: string;

  /**
   * Lets `apiUrl` use plain `http:` to a host that is not loopback, sending the token in
   * clear text (also to `http_proxy`, when set), and lifts the check that a `localhost` name
   * resolves to loopback addresses only. Only for a trusted in-cluster proxy that
   * terminates TLS; never in general.
   * @default false
   */
  dangerouslyAllowInsecureHttp?: boolean;

  /**
   * Hard deadline for one request in milliseconds: headers and the whole body must have
   * arrived by then, however slowly the server drips them.
   * @default 5000
   */
  timeout?: number;

  /**
   * Extra attempts after the first when Doppler is unreachable, times out, rate-limits
   * (429) or fails (5xx). 400, 401, 403, 404 and malformed answers are never retried.
   * Backoff is exponential with full jitter from 500 ms; Doppler's `retry-after` is
   * honoured when it fits in the deadline.
   * @default 6
   */
  retries?: number;

  /**
   * Milliseconds for the whole fetch at start-up: every attempt and every wait. Bootstrap
   * never waits on Doppler longer than this.
   * @default 15000
   */
  deadline?: number;

  /**
   * An encrypted last-known-good copy of the secrets, used only when Doppler is
   * unreachable or failing (timeouts, connection errors, 429, 5xx) after the retries.
   * Off by default; see the README for when to turn it on.
   * @default undefined (no fallback)
   */
  fallback?: DopplerFallbackOptions;

  /**
   * Largest response body accepted, in bytes, after decompression. A secrets download is
   * small; anything larger is refused rather than buffered.
   * @default 1048576 (1 MiB)
   */
  maxResponseBytes?: number;

  /**
   * OpenTelemetry metrics and traces, through `@opentelemetry/api` when the app has it (an
   * optional peer) and registered an SDK before the module boots. Nothing exported holds a value,
   * a token or (unless {@link DopplerTelemetryOptions.includeSecretNames}) a secret's name.
   * @default { enabled: true, includeSecretNames: false }
   */
  telemetry?: DopplerTelemetryOptions;
}

/** What this registration reports to OpenTelemetry (see the README for the metrics and spans). */
export interface DopplerTelemetryOptions {
  /**
   * Report metrics and spans when an OpenTelemetry SDK is registered. With no SDK the cost is
   * nil either way.
   * @default true
   */
  enabled?: boolean;
  /**
   * Put the names of the secrets a refresh changed, added or removed on its span (at most 100
   * per list). Names only, never values.
   * @default false
   */
  includeSecretNames?: boolean;
}

/**
 * Which Doppler identity to exchange the platform's OIDC token for, and where that token comes
 * from: exactly one of {@link tokenFile} and {@link getToken}.
 */
export interface DopplerOidcOptions {
  /** The identity's id, from the Identities tab of its Doppler service account. */
  identity: string;
  /**
   * A file holding the platform's OIDC token (a JWT), read anew at every exchange: the kubelet
   * rotates a projected service-account token in place. At most 64 KiB; a trailing newline is
   * trimmed.
   * @default undefined (use getToken)
   */
  tokenFile?: string;
  /**
   * Returns the platform's OIDC token (a JWT), called at every exchange; e.g. a request to
   * GitHub Actions' `ACTIONS_ID_TOKEN_REQUEST_URL`. Bound what it waits for (its wait counts
   * against {@link DopplerModuleOptions.deadline}); when it throws, its message is not shown, as
   * it may hold the token.
   * @default undefined (use tokenFile)
   */
  getToken?: () => string | Promise<string>;
}

/** Where the mounted secrets are, and how often the volume is checked besides watching it. */
export interface DopplerMountedOptions {
  /**
   * The volume's `mountPath` (a directory: a Kubernetes Secret volume, with its `..data`
   * versions, or a plain directory of one file per secret), or one file holding the whole set
   * (json or env format). A relative path is resolved against the working directory once, when
   * the options are checked.
   */
  path: string;
  /**
   * Milliseconds between checks of the volume, besides watching it (file change events are
   * not delivered on every volume type). A check of an unchanged Kubernetes volume reads one
   * symlink; a plain directory is read whole and compared. From 100 to 86400000.
   * @default 30000
   */
  pollInterval?: number;
}

/** How often to refresh, and whether to keep Doppler's watch stream open. */
export interface DopplerRefreshOptions {
  /**
   * Milliseconds between checks with Doppler (at least 100). Required without {@link watch}; with
   * it, the safety net under the stream and the only channel where the stream is unavailable.
   * @default 300000 (5 minutes) with `watch: true`
   */
  interval?: number;
  /**
   * Keep Doppler's watch stream open (server-sent events, as `doppler run --watch`; Team and
   * Enterprise plans): a change is re-downloaded (with the ETag) within a second or two of the
   * event, spread over a 0-2 s window across a fleet. A stall (no ping for 90 s) or a drop
   * reconnects with backoff (1 s doubling to 60 s, with jitter) and re-downloads; a 403 or 404 on
   * the stream falls back to polling every {@link interval}, with one warning.
   * `SecretsService.status.channel` says which channel is live.
   * @default false
   */
  watch?: boolean;
  /**
   * Spread of each wait, as a fraction of it: 0.1 waits 90% to 110% of the interval. The
   * first check comes at a random point of the first interval, so a fleet started together
   * does not poll Doppler in lockstep.
   * @default 0.1
   */
  jitter?: number;
}

/** Doppler webhook settings. */
export interface DopplerWebhookOptions {
  /** The webhook's signing secret, as set in Doppler (verifies `X-Doppler-Signature`). */
  secret: string;
  /**
   * Webhooks arriving within this many milliseconds trigger one refresh (Doppler may send
   * several, and delivery is not exactly-once).
   * @default 250
   */
  coalesceMs?: number;
  /**
   * Fewest milliseconds between two refreshes a webhook triggers. A delivery inside the window is
   * not dropped: it schedules one refresh at the window's end. Doppler's payload carries no
   * delivery id or timestamp (an identical body can announce a new change), so this is what bounds
   * the cost of replayed or repeated deliveries: at most 60000 / minInterval requests a minute.
   * @default 5000
   */
  minInterval?: number;
}

/** Where and how the last-known-good copy is kept. */
export interface DopplerFallbackOptions {
  /** File path of the encrypted copy (its directory is created with mode 0700). */
  path: string;
  /**
   * Refuse a copy older than this many milliseconds (the Doppler CLI has no limit).
   * @default undefined (no limit)
   */
  maxAge?: number;
  /**
   * Accept only a copy written with the very token in use now. By default a copy is bound to its
   * project and config (recorded, authenticated, in the file) and any token for that scope may
   * read it, so it survives a token rotation when {@link passphrase} is set. With `true` the copy
   * also records a keyed fingerprint of the token (never the token) and a copy written with another
   * token is refused; a copy written with `true` keeps that rule whatever the reader's option.
   * @default false
   */
  bindToToken?: boolean;
  /**
   * Passphrase the key is derived from (PBKDF2-SHA256). Set it (e.g. from
   * `DOPPLER_PASSPHRASE`) so the copy survives a token rotation.
   * @default `<token>:<project>:<config>` when both options are set, else the token (as the Doppler CLI does)
   */
  passphrase?: string;
}

/**
 * Implemented by a class passed to `forRootAsync({ useClass })` or `useExisting`.
 *
 * @example
 * @Injectable()
 * class DopplerConfig implements DopplerOptionsFactory {
 *   constructor(private readonly config: ConfigService) {}
 *   createDopplerOptions() { return { token: this.config.getOrThrow('DOPPLER_TOKEN'), schema: AppSecrets }; }
 * }
 */
export interface DopplerOptionsFactory {
  createDopplerOptions(): DopplerModuleOptions | Promise<DopplerModuleOptions>;
}
