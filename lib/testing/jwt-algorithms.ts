import type { KeyObject } from 'node:crypto';

/**
 * JWS algorithms the emulator verifies and `mintOidcToken` signs with (RFC 7518): RSA PKCS#1 v1.5
 * and ECDSA, the ones Kubernetes (RS256) and GitHub Actions (RS256) use, and ES256 and friends.
 *
 * @publicApi
 */
export type OidcSigningAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512';

interface AlgorithmSpec {
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  readonly keyType: 'rsa' | 'ec';
  /** Node's name of the curve an ECDSA algorithm is defined on. */
  readonly curve?: 'prime256v1' | 'secp384r1' | 'secp521r1';
}

export const JWT_ALGORITHMS: Readonly<Record<OidcSigningAlgorithm, AlgorithmSpec>> = {
  RS256: { hash: 'sha256', keyType: 'rsa' },
  RS384: { hash: 'sha384', keyType: 'rsa' },
  RS512: { hash: 'sha512', keyType: 'rsa' },
  ES256: { hash: 'sha256', keyType: 'ec', curve: 'prime256v1' },
  ES384: { hash: 'sha384', keyType: 'ec', curve: 'secp384r1' },
  ES512: { hash: 'sha512', keyType: 'ec', curve: 'secp521r1' },
};

/** Whether `alg` names an algorithm of {@link JWT_ALGORITHMS}. */
export function isSigningAlgorithm(alg: unknown): alg is OidcSigningAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(JWT_ALGORITHMS, alg);
}

/** Whether a key (public or private) is of the type and curve `alg` is defined for. */
export function keyFitsAlgorithm(key: KeyObject, alg: OidcSigningAlgorithm): boolean {
  const spec = JWT_ALGORITHMS[alg];
  if (key.asymmetricKeyType !== spec.keyType) return false;
  return spec.curve === undefined || key.asymmetricKeyDetails?.namedCurve === spec.curve;
}

/** The algorithm a key signs with by default: RS256 for RSA, the ECDSA algorithm of its curve. */
export function defaultAlgorithmFor(key: KeyObject): OidcSigningAlgorithm | undefined {
  return (['RS256', 'ES256', 'ES384', 'ES512'] as const).find((alg) => keyFitsAlgorithm(key, alg));
}

/** The `crypto.sign`/`crypto.verify` options for `alg`: JOSE writes ECDSA signatures as r‖s. */
export function signatureOptions(key: KeyObject, alg: OidcSigningAlgorithm) {
  return JWT_ALGORITHMS[alg].keyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
}
