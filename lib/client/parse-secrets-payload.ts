import { DopplerResponseError } from './doppler.errors.js';

const NAME_SHAPE = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;

/** A name safe to print in a message; anything odd is not echoed. */
function printable(name: string): string {
  return NAME_SHAPE.test(name) ? `"${name}"` : '(a name with unexpected characters)';
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Parses a download body into a name-to-value map. The body is parsed here rather than by
 * the HTTP library so a truncated body is an error, not a string; V8's own parse error
 * quotes the input, so it is never passed on. The result has no prototype, so a `__proto__`
 * name is just a name.
 *
 * @throws {DopplerResponseError} `DOPPLER_MALFORMED_RESPONSE` for anything but a flat JSON
 *   object of strings.
 */
export function parseSecretsPayload(body: string, contentType: string | undefined): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const mime = contentType?.split(';')[0]?.trim() ?? '';
    // Only a well-formed media type is echoed: the header came from an untrusted server.
    const type = /^[\w.+-]+\/[\w.+-]+$/.test(mime) ? `, content-type ${mime}` : '';
    return malformed(
      `Doppler's answer is not valid JSON (${Buffer.byteLength(body)} bytes${type}); it may have been cut short or replaced by a proxy's page.`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return malformed(`Doppler's answer is ${typeOf(parsed)}, not an object of secrets.`);
  }
  const secrets = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      return malformed(
        `Doppler's answer holds ${typeOf(value)} for ${printable(name)}; every secret must be a string.`,
      );
    }
    secrets[name] = value;
  }
  return secrets;
}

function malformed(what: string): never {
  throw new DopplerResponseError(
    'DOPPLER_MALFORMED_RESPONSE',
    `${what} Check the apiUrl option and any proxy between this app and Doppler.`,
  );
}
