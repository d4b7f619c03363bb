import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DOPPLER_TOKEN_PREFIXES, tokenKindOf } from '../auth/token-kind.js';

/**
 * One Doppler config (e.g. `dev`, `dev_personal`, `prd`) in an emulator seed.
 *
 * @publicApi
 */
export interface EmulatorConfigSeed {
  /**
   * Environment slug served as `DOPPLER_ENVIRONMENT`.
   * @default the config name up to its first `_` (`dev_personal` → `dev`)
   */
  readonly environment?: string;
  /**
   * Secret names to values. Empty strings are legal values.
   * @default {}
   */
  readonly secrets?: Readonly<Record<string, string>>;
}

/**
 * One Doppler project in an emulator seed.
 *
 * @publicApi
 */
export interface EmulatorProjectSeed {
  readonly configs: Readonly<Record<string, EmulatorConfigSeed>>;
}

/**
 * A token the emulator accepts. The prefix decides its kind, as with Doppler:
 * `dp.st.` service tokens must name their `project` and `config`; other kinds
 * may name them to restrict access, and otherwise read everything.
 *
 * @example
 * { token: 'dp.st.dev.demo123', project: 'sample-app', config: 'dev' }
 *
 * @publicApi
 */
export interface EmulatorTokenSeed {
  readonly token: string;
  readonly project?: string;
  readonly config?: string;
}

/**
 * A Doppler service account identity the emulator exchanges platform OIDC tokens (JWTs) for
 * short-lived `dp.said.` tokens, at `POST /v3/auth/oidc`. A JWT is accepted when its `aud`
 * (a string, or an array holding it) is {@link audience} and its `sub` is {@link subject}, both
 * exact matches (no wildcards or patterns), it has not expired (`exp`, required) and is not
 * early (`nbf`, `iat`), with 30 s of leeway on the emulator's clock, and (with
 * {@link publicKey}) it is signed by the matching private key.
 *
 * @example
 * { id: 'k8s-shop', project: 'shop', config: 'prd', audience: 'https://doppler.example', subject: 'system:serviceaccount:shop:api' }
 *
 * @publicApi
 */
export interface EmulatorIdentitySeed {
  /** The identity's id, as clients send it in the exchange's `identity`. */
  readonly id: string;
  /** The project and config the issued tokens may read (and only those). */
  readonly project: string;
  readonly config: string;
  /** The audience the JWT must carry. */
  readonly audience: string;
  /** The subject the JWT must carry. */
  readonly subject: string;
  /**
   * Seconds each issued `dp.said.` token is accepted, on the emulator's clock (the `now` option).
   * From 1 to 86400.
   * @default 3600
   */
  readonly tokenLifetimeSec?: number;
  /**
   * The public key that must have signed the JWT: a PEM string or a JWK, RSA (RS256, RS384,
   * RS512) or EC on P-256, P-384 or P-521 (ES256, ES384, ES512). With a key, an unsigned
   * (`alg: none`) or otherwise signed JWT is refused.
   * @default undefined (no signature check: the unsigned tokens `mintOidcToken` makes without a key are accepted)
   */
  readonly publicKey?: string | JsonWebKey;
}

/** Default lifetime of an identity's tokens in the emulator; Doppler documents none. */
export const DEFAULT_IDENTITY_TOKEN_LIFETIME_SEC = 3600;

/**
 * Everything the emulator serves: projects, their configs and secrets, the accepted tokens, and
 * the identities it exchanges OIDC tokens for.
 *
 * @example
 * const seed: EmulatorSeed = {
 *   projects: { 'sample-app': { configs: { dev: { secrets: { PORT: '3000' } } } } },
 *   tokens: [{ token: 'dp.st.dev.demo123', project: 'sample-app', config: 'dev' }],
 * };
 *
 * @publicApi
 */
export interface EmulatorSeed {
  readonly projects: Readonly<Record<string, EmulatorProjectSeed>>;
  /** @default [] */
  readonly tokens?: readonly EmulatorTokenSeed[];
  /** @default [] */
  readonly identities?: readonly EmulatorIdentitySeed[];
}

/** Names the emulator computes per request, so a seed may not define them. */
export const RESERVED_SECRET_NAMES: readonly string[] = [
  'DOPPLER_PROJECT',
  'DOPPLER_CONFIG',
  'DOPPLER_ENVIRONMENT',
];

/**
 * Doppler's branch configs (`dev_personal`) belong to the environment named before the first `_`.
 *
 * @example
 * defaultEnvironment('dev_personal'); // 'dev'
 */
export function defaultEnvironment(config: string): string {
  return config.split('_', 1)[0] ?? config;
}

/** Thrown for a malformed seed; the message names the field, never its value. */
export function seedError(field: string, problem: string): TypeError {
  return new TypeError(`Invalid emulator seed: ${field} ${problem}`);
}

/**
 * Checks an untrusted value (e.g. parsed JSON) against the seed format and returns a deep copy.
 *
 * @throws TypeError naming the offending field, never a token or secret value.
 */
export function parseEmulatorSeed(value: unknown): EmulatorSeed {
  if (!isRecord(value)) {
    throw seedError('(root)', 'must be an object');
  }
  if (!isRecord(value.projects)) {
    throw seedError('projects', 'must be an object');
  }
  // fromEntries defines own properties, so a name like `__proto__` stays data, not a prototype.
  const projects = Object.fromEntries(
    Object.entries(value.projects).map(([name, project]) => [
      name,
      parseProject(`projects[${JSON.stringify(name)}]`, name, project),
    ]),
  );
  return { projects, tokens: parseTokens(value.tokens), identities: parseIdentities(value.identities) };
}

/**
 * Reads and validates a JSON seed file.
 *
 * @throws Error naming the path and the problem, never the file's content.
 */
export function readEmulatorSeedFile(path: string): EmulatorSeed {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new Error(`Cannot read emulator seed file ${path} (${code})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text around the error, which may be a token; so do not chain it.
    throw new Error(`Emulator seed file ${path} is not valid JSON`);
  }
  return parseEmulatorSeed(json);
}

/**
 * Checks one token entry, e.g. for `addToken()`.
 *
 * @throws TypeError naming `field`, never the token.
 */
export function parseTokenSeed(field: string, value: unknown): EmulatorTokenSeed {
  if (!isRecord(value)) {
    throw seedError(field, 'must be an object');
  }
  const { token, project, config } = value;
  if (typeof token !== 'string' || token === '') {
    throw seedError(`${field}.token`, 'must be a non-empty string');
  }
  if (tokenKindOf(token) === 'unknown') {
    throw seedError(`${field}.token`, `must start with one of ${DOPPLER_TOKEN_PREFIXES.join(', ')}`);
  }
  const scoped = tokenKindOf(token) === 'service';
  for (const [key, scope] of [
    ['project', project],
    ['config', config],
  ] as const) {
    if (scope === undefined && !scoped) {
      continue;
    }
    if (typeof scope !== 'string' || scope === '') {
      throw seedError(
        `${field}.${key}`,
        scoped ? 'is required for a dp.st. service token' : 'must be a non-empty string',
      );
    }
  }
  return {
    token,
    ...(typeof project === 'string' ? { project } : {}),
    ...(typeof config === 'string' ? { config } : {}),
  };
}

/**
 * Checks one identity entry, e.g. for `addIdentity()`, and returns a copy (a JWK is copied as JSON).
 *
 * @throws TypeError naming `field`, never a key's material.
 */
export function parseIdentitySeed(field: string, value: unknown): EmulatorIdentitySeed {
  if (!isRecord(value)) {
    throw seedError(field, 'must be an object');
  }
  const { id, project, config, audience, subject, tokenLifetimeSec, publicKey } = value;
  for (const [key, text] of [
    ['id', id],
    ['project', project],
    ['config', config],
    ['audience', audience],
    ['subject', subject],
  ] as const) {
    if (typeof text !== 'string' || text === '') {
      throw seedError(`${field}.${key}`, 'must be a non-empty string');
    }
  }
  if (
    tokenLifetimeSec !== undefined &&
    (typeof tokenLifetimeSec !== 'number' ||
      !Number.isInteger(tokenLifetimeSec) ||
      tokenLifetimeSec < 1 ||
      tokenLifetimeSec > 86_400)
  ) {
    throw seedError(`${field}.tokenLifetimeSec`, 'must be a whole number of seconds from 1 to 86400');
  }
  if (publicKey !== undefined) {
    identityPublicKey(`${field}.publicKey`, publicKey);
  }
  return {
    id: id as string,
    project: project as string,
    config: config as string,
    audience: audience as string,
    subject: subject as string,
    ...(tokenLifetimeSec !== undefined && { tokenLifetimeSec }),
    ...(publicKey !== undefined && {
      publicKey: typeof publicKey === 'string' ? publicKey : (structuredClone(publicKey) as JsonWebKey),
    }),
  };
}

/**
 * The key object of an identity's `publicKey`: an RSA or EC public key, from PEM or JWK.
 *
 * @throws TypeError naming `field` when it is neither, or of another type.
 */
export function identityPublicKey(field: string, value: unknown): KeyObject {
  let key: KeyObject;
  try {
    key =
      typeof value === 'string'
        ? createPublicKey(value)
        : createPublicKey({ key: value as JsonWebKey, format: 'jwk' });
  } catch {
    throw seedError(field, 'must be a public key as PEM text or a JWK');
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
    throw seedError(field, 'must be an RSA or EC key (RS256/384/512, ES256/384/512)');
  }
  return key;
}

/**
 * Checks a secret name and value, e.g. for `setSecret()`.
 *
 * @throws TypeError naming `field`, never the value.
 */
export function assertSecret(field: string, name: string, value: unknown): asserts value is string {
  if (name === '') {
    throw seedError(field, 'must have a non-empty name');
  }
  if (RESERVED_SECRET_NAMES.includes(name)) {
    throw seedError(field, 'is reserved; the emulator computes it');
  }
  if (typeof value !== 'string') {
    throw seedError(field, 'must be a string');
  }
}

function parseProject(field: string, name: string, value: unknown): EmulatorProjectSeed {
  if (name === '') {
    throw seedError(field, 'must have a non-empty name');
  }
  if (!isRecord(value) || !isRecord(value.configs)) {
    throw seedError(`${field}.configs`, 'must be an object');
  }
  const configs = Object.fromEntries(
    Object.entries(value.configs).map(([configName, config]) => [
      configName,
      parseConfig(`${field}.configs[${JSON.stringify(configName)}]`, configName, config),
    ]),
  );
  return { configs };
}

function parseConfig(field: string, name: string, value: unknown): EmulatorConfigSeed {
  if (name === '') {
    throw seedError(field, 'must have a non-empty name');
  }
  if (!isRecord(value)) {
    throw seedError(field, 'must be an object');
  }
  const { environment, secrets = {} } = value;
  if (environment !== undefined && (typeof environment !== 'string' || environment === '')) {
    throw seedError(`${field}.environment`, 'must be a non-empty string');
  }
  if (!isRecord(secrets)) {
    throw seedError(`${field}.secrets`, 'must be an object');
  }
  const copy = Object.fromEntries(
    Object.entries(secrets).map(([secretName, secretValue]) => {
      assertSecret(`${field}.secrets[${JSON.stringify(secretName)}]`, secretName, secretValue);
      return [secretName, secretValue];
    }),
  );
  return { environment: environment ?? defaultEnvironment(name), secrets: copy };
}

function parseTokens(value: unknown): EmulatorTokenSeed[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw seedError('tokens', 'must be an array');
  }
  const seen = new Map<string, number>();
  return value.map((entry: unknown, index) => {
    const token = parseTokenSeed(`tokens[${index}]`, entry);
    const previous = seen.get(token.token);
    if (previous !== undefined) {
      throw seedError(`tokens[${index}].token`, `duplicates tokens[${previous}].token`);
    }
    seen.set(token.token, index);
    return token;
  });
}

function parseIdentities(value: unknown): EmulatorIdentitySeed[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw seedError('identities', 'must be an array');
  }
  const seen = new Map<string, number>();
  return value.map((entry: unknown, index) => {
    const identity = parseIdentitySeed(`identities[${index}]`, entry);
    const previous = seen.get(identity.id);
    if (previous !== undefined) {
      throw seedError(`identities[${index}].id`, `duplicates identities[${previous}].id`);
    }
    seen.set(identity.id, index);
    return identity;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
