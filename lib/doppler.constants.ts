/** Injection token of the resolved {@link DopplerModuleOptions}. */
export const DOPPLER_MODULE_OPTIONS = 'DOPPLER:MODULE_OPTIONS';

/** Where Doppler's API lives unless `apiUrl` says otherwise. */
export const DEFAULT_API_URL = 'https://api.doppler.com';

/** The endpoint that returns a config's secrets as one flat JSON object. */
export const DOWNLOAD_PATH = '/v3/configs/config/secrets/download';

export const DEFAULT_TIMEOUT_MS = 5_000;

export const DEFAULT_RETRIES = 2;

export const DEFAULT_DEADLINE_MS = 15_000;

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Nest logger context of everything this module logs. */
export const LOGGER_CONTEXT = 'DopplerModule';
