/**
 * Characters that can forge or hide text in a log line or terminal: C0 controls (newlines,
 * escape sequences), DEL, C1 controls, and Unicode's invisible direction overrides.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text a server sent, made safe to put in a message: unprintable characters become spaces
 * and long text is cut. Anything that came off the wire goes through this before it is
 * printed; secrets are scrubbed separately, by the caller, before this.
 */
export function printable(text: string, maxLength = 200): string {
  return text.replace(UNPRINTABLE, ' ').slice(0, maxLength);
}
