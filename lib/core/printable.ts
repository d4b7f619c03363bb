// C0 and C1 controls, DEL, line/paragraph separators and the bidi overrides and isolates:
// each can end a log line early, forge a new one, or reorder what a terminal shows.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Longest server-supplied text put into one log line or message. */
export const MAX_PRINTED_LENGTH = 200;

/**
 * Text a server or a file supplied (a secret's name, `DOPPLER_PROJECT`, a message), made safe to
 * put into a log line: control and bidi characters written as `\u{…}` escapes, and cut to
 * `maxLength` characters. Never use it for values: values are masked, not printed.
 */
export function printable(text: string, maxLength = MAX_PRINTED_LENGTH): string {
  const cut = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  return cut.replace(UNPRINTABLE, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}
