import { parseFlatStringMap } from '../core/flat-string-map.js';
import { dopplerError } from '../errors/create-doppler-error.js';

/** Secret names as Doppler hands them out; any other name is not echoed. */
const SECRET_NAME_SHAPE = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;

/**
 * Parses a download body into a name-to-value map. The body is parsed here rather than by
 * the HTTP library so a truncated body is an error, not a string; V8's own parse error
 * quotes the input, so it is never passed on. The result has no prototype, so a `__proto__`
 * name is just a name.
 *
 * @throws {DopplerError} `DOPPLER_MALFORMED_RESPONSE` for anything but a flat JSON
 *   object of strings.
 */
export function parseSecretsPayload(body: string, contentType: string | undefined): Record<string, string> {
  const result = parseFlatStringMap(body, SECRET_NAME_SHAPE);
  if (result.ok) return result.secrets;
  switch (result.problem) {
    case 'not-json': {
      const mime = contentType?.split(';')[0]?.trim() ?? '';
      // Only a well-formed media type is echoed: the header came from an untrusted server.
      const type = /^[\w.+-]+\/[\w.+-]+$/.test(mime) ? `, content-type ${mime}` : '';
      return malformed(
        `The answer is not valid JSON (${Buffer.byteLength(body)} bytes${type}); it may have been cut short or replaced by a gateway's or proxy's page.`,
      );
    }
    case 'not-object':
      return malformed(`The answer is ${result.type}, not an object of secrets.`);
    case 'not-string':
      return malformed(`The answer holds ${result.type} for ${result.name}; every secret must be a string.`);
  }
}

function malformed(what: string): never {
  throw dopplerError(
    'DOPPLER_MALFORMED_RESPONSE',
    `${what} Check the apiUrl option and any proxy between this app and Doppler.`,
  );
}
