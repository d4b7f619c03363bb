/**
 * @internal Injection token of the `PipelineDeps` (clock, logger...) `SecretsService`'s factory
 * runs the pipeline on. Each registration provides none (the real ones); tests replace the
 * provider to run on fake time.
 */
export const DOPPLER_PIPELINE_DEPS = 'DOPPLER:PIPELINE_DEPS';

/** Where Doppler's API lives unless `apiUrl` says otherwise. */
export const DEFAULT_API_URL = 'https://api.doppler.com';

/** The endpoint that returns a config's secrets as one flat JSON object. */
export const DOWNLOAD_PATH = '/v3/configs/config/secrets/download';

/** Doppler's watch stream (server-sent events), behind `doppler run --watch`. */
export const WATCH_PATH = '/v3/configs/config/secrets/watch';

export const DEFAULT_TIMEOUT_MS = 5_000;

// 6, not the CLI's 4: with 2, backoff covered ~1.5 s of the deadline and a 5xx blip failed
// most of a fleet (docs/bench fleet simulation: 62 of 200 booted with 2, 198 with 6).
export const DEFAULT_RETRIES = 6;

export const DEFAULT_DEADLINE_MS = 15_000;

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Nest logger context of everything this module logs. */
export const LOGGER_CONTEXT = 'DopplerModule';

// With the refresher's random first check spreading a fleet, 0.1 had no rate-limited checks
// at 1,000 replicas and kept sets fresher than 0.5 (p99 age 311 s against 409 s; docs/bench).
export const DEFAULT_REFRESH_JITTER = 0.1;

// Under the watch stream, polling only catches what the stream missed (and takes over where the
// plan has no stream): 12 checks an hour, against 60 at a one-minute interval.
export const DEFAULT_WATCH_SAFETY_INTERVAL_MS = 5 * 60_000;

/** Webhook deliveries within this window share one refresh. */
export const DEFAULT_WEBHOOK_COALESCE_MS = 250;

// Doppler's webhook carries no delivery id or timestamp, so replays cannot be told from new
// changes; this bounds what any number of them can cost: 12 checks a minute of a token's 240.
export const DEFAULT_WEBHOOK_MIN_INTERVAL_MS = 5_000;

// A safety net under the file watch, which some volume types (network, FUSE) never fire: on a
// Kubernetes volume a check is one readlink, and the kubelet itself updates it only every minute or so.
export const DEFAULT_MOUNTED_POLL_INTERVAL_MS = 30_000;
