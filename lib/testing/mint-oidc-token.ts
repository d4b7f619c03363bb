import { createPrivateKey, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  defaultAlgorithmFor,
  JWT_ALGORITHMS,
  keyFitsAlgorithm,
  signatureOptions,
  type OidcSigningAlgorithm,
} from './jwt-algorithms.js';

/**
 * What {@link mintOidcToken} puts in a token.
 *
 * @publicApi
 */
export interface MintOidcTokenOptions {
  /** `aud`: one audience, or several (Kubernetes writes an array). */
  readonly audience: string | readonly string[];
  /** `sub`, e.g. `system:serviceaccount:<namespace>:<name>` or `repo:<owner>/<repo>:ref:refs/heads/main`. */
  readonly subject: string;
  /**
   * Seconds from `now` to `exp`; negative for a token that has already expired.
   * @default 600 (the shortest lifetime Kubernetes issues)
   */
  readonly expiresInSec?: number;
  /**
   * `iss`.
   * @default 'https://oidc.emulator.invalid'
   */
  readonly issuer?: string;
  /**
   * The private key to sign with (PEM text, a JWK or a `KeyObject`), RSA or EC on P-256, P-384 or
   * P-521; the emulator identity then needs the matching `publicKey`.
   * @default undefined (an unsigned token, `alg: none`: only an emulator identity without a publicKey accepts it)
   */
  readonly privateKey?: string | JsonWebKey | KeyObject;
  /**
   * The algorithm to sign with; it must fit the key.
   * @default RS256 for an RSA key, ES256/ES384/ES512 by an EC key's curve
   */
  readonly algorithm?: OidcSigningAlgorithm;
  /**
   * When the token is issued (`iat`, `nbf`), in epoch milliseconds: the emulator's clock, in a
   * test that moves it.
   * @default Date.now()
   */
  readonly now?: number;
  /**
   * More claims (`jti`, `repository`, `kubernetes.io`, ...), written over the standard ones.
   * @default {} (a random `jti` is always set, so two tokens minted alike differ)
   */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/**
 * Mints a platform OIDC token (a compact JWT) for tests against the emulator's identities: the
 * kind of token a Kubernetes projected service-account volume or GitHub Actions hands out. Without
 * a private key the token is unsigned (`alg: none`), which only an emulator identity without a
 * `publicKey` accepts; Doppler itself never would. Test tooling only: not for production.
 *
 * @example
 * const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
 * const emulator = new DopplerEmulator({ ...seed, identities: [{ id: 'pod', project: 'shop', config: 'prd',
 *   audience: 'https://doppler.example', subject: 'system:serviceaccount:shop:api',
 *   publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString() }] });
 * writeFileSync(tokenFile, mintOidcToken({ audience: 'https://doppler.example', subject: 'system:serviceaccount:shop:api', privateKey }));
 *
 * @throws {TypeError} when the key is not a private RSA or EC key, or does not fit `algorithm`.
 * @publicApi
 */
export function mintOidcToken(options: MintOidcTokenOptions): string {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const claims = {
    iss: options.issuer ?? 'https://oidc.emulator.invalid',
    sub: options.subject,
    aud: typeof options.audience === 'string' ? options.audience : [...options.audience],
    iat: now,
    nbf: now,
    exp: now + (options.expiresInSec ?? 600),
    jti: randomUUID(),
    ...options.claims,
  };
  const key = options.privateKey === undefined ? undefined : privateKeyOf(options.privateKey);
  if (key === undefined) return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
  const alg = chooseAlgorithm(key, options.algorithm);
  const signed = `${encode({ alg, typ: 'JWT' })}.${encode(claims)}`;
  const signature = sign(JWT_ALGORITHMS[alg].hash, Buffer.from(signed), signatureOptions(key, alg));
  return `${signed}.${signature.toString('base64url')}`;
}

function privateKeyOf(value: string | JsonWebKey | KeyObject): KeyObject {
  let key: KeyObject;
  try {
    key =
      typeof value === 'string'
        ? createPrivateKey(value)
        : isKeyObject(value)
          ? value
          : createPrivateKey({ key: value, format: 'jwk' });
  } catch {
    throw new TypeError('mintOidcToken: privateKey must be a private key as PEM text, a JWK or a KeyObject');
  }
  if (key.type !== 'private') throw new TypeError('mintOidcToken: privateKey must be a private key');
  return key;
}

function chooseAlgorithm(key: KeyObject, wanted: OidcSigningAlgorithm | undefined): OidcSigningAlgorithm {
  const alg = wanted ?? defaultAlgorithmFor(key);
  if (alg === undefined || !keyFitsAlgorithm(key, alg)) {
    throw new TypeError(
      `mintOidcToken: ${wanted === undefined ? 'the key is not an RSA key or an EC key on P-256, P-384 or P-521' : `the key does not fit ${wanted}`}`,
    );
  }
  return alg;
}

function isKeyObject(value: unknown): value is KeyObject {
  return typeof value === 'object' && value !== null && 'asymmetricKeyType' in value && 'export' in value;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
