const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * Standard, padded base64 (Go's `base64.StdEncoding`), or `undefined`. Node's own decoder
 * skips any character it does not know, which would let a damaged file decode to something.
 */
export function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Non-zero padding bits decode but are not what any encoder writes.
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** Hex of either case (Go's `hex.DecodeString`), or `undefined`. */
export function decodeHex(text: string): Buffer | undefined {
  return HEX.test(text) ? Buffer.from(text, 'hex') : undefined;
}
