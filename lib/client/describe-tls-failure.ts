import type { FailureContext } from './describe-failure.js';
import { dopplerError } from '../errors/create-doppler-error.js';
import type { TransportFailure } from './describe-transport-failure.js';
import { type DopplerError } from '../errors/doppler.errors.js';
import { isLoopbackHost } from './loopback.js';

/** OpenSSL's verify results and Node's host check, in words a person can act on. */
const CERTIFICATE_PROBLEMS: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'it is not signed by a certificate authority this process trusts',
  UNABLE_TO_GET_ISSUER_CERT: 'it is not signed by a certificate authority this process trusts',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'it is not signed by a certificate authority this process trusts',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends in a self-signed certificate this process does not trust',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed',
  CERT_UNTRUSTED: 'it is not trusted',
  CERT_REJECTED: 'it was rejected',
  CERT_HAS_EXPIRED: "it has expired (or this machine's clock is wrong)",
  CERT_NOT_YET_VALID: "it is not valid yet (or this machine's clock is wrong)",
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'its validity dates cannot be read',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'its validity dates cannot be read',
  CERT_REVOKED: 'it has been revoked',
  CERT_SIGNATURE_FAILURE: 'its signature does not verify',
  CERT_CHAIN_TOO_LONG: 'its chain is too long',
  INVALID_CA: 'its chain holds a certificate that is not a certificate authority',
  INVALID_PURPOSE: 'it is not meant for a TLS server',
  HOSTNAME_MISMATCH: 'it was issued for another host name',
  ERR_TLS_CERT_ALTNAME_INVALID: 'it was issued for another host name',
};

/** The certificate problem behind a code, or undefined when the code is not one. */
export function certificateProblem(code: string | undefined): string | undefined {
  return code === undefined ? undefined : CERTIFICATE_PROBLEMS[code];
}

/** Codes of a TLS failure that another attempt will not cure. */
export function isTlsFailure(code: string | undefined): boolean {
  return (
    code !== undefined &&
    (certificateProblem(code) !== undefined ||
      code === 'EPROTO' ||
      code.startsWith('ERR_SSL_') ||
      code.startsWith('ERR_TLS_'))
  );
}

/**
 * Node reports a server that answers a TLS hello in plain HTTP as `EPROTO` ("wrong version
 * number") or an `ERR_SSL_*` code; the library's text is looked at to tell that apart from
 * other handshake failures, and never passed on.
 */
export function looksLikePlainHttp(code: string | undefined, libraryMessage: string): boolean {
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_HTTP_REQUEST') return true;
  return (
    (code === 'EPROTO' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') &&
    /wrong version number|packet length too long|http request/i.test(libraryMessage)
  );
}

/**
 * TLS failures are final (not retried, no fallback): a certificate does not become valid by
 * asking again, and a port that speaks plain HTTP will keep doing so.
 */
export function describeTlsFailure(
  failure: TransportFailure,
  ctx: FailureContext,
  via: string,
): DopplerError {
  const reason = failure.code ?? 'TLS';
  if (failure.notTls) {
    const local = isLoopbackHost(ctx.host.replace(/:\d+$/, ''))
      ? ' A local server such as the bundled emulator speaks plain http: use an http:// apiUrl for it.'
      : '';
    return dopplerError(
      'DOPPLER_UNREACHABLE',
      `${ctx.host}${via} does not speak TLS on that port: check the apiUrl scheme (https:) and port.${local}`,
      { reason },
    );
  }
  const problem = certificateProblem(failure.code);
  if (problem !== undefined) {
    return dopplerError(
      'DOPPLER_UNREACHABLE',
      `The TLS certificate of ${ctx.host}${via} was not accepted: ${problem} (${reason}). ` +
        'If a proxy or security appliance on this network intercepts TLS, give Node its CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; ' +
        'otherwise something other than Doppler is answering: check apiUrl and the network path.',
      { reason },
    );
  }
  return dopplerError(
    'DOPPLER_UNREACHABLE',
    `The TLS handshake with ${ctx.host}${via} failed (${reason}). A proxy or security appliance may be intercepting the connection: ` +
      'check NODE_EXTRA_CA_CERTS and the proxy settings, and that apiUrl points to Doppler.',
    { reason },
  );
}
