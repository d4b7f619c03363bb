import { dopplerError } from '../../errors/create-doppler-error.js';
import type { DopplerError } from '../../errors/doppler.errors.js';

/** One server-sent event, as the HTML standard's event-stream format defines it. */
export interface SseEvent {
  /** The `event:` field, or `message` when the event named none. */
  readonly type: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
  /** The last `id:` seen on the stream so far, when there was one. */
  readonly id?: string;
}

/** How much of a stream one parser holds at most. */
export interface SseLimits {
  /** Longest line, in UTF-16 code units (a watch frame is a few dozen). */
  readonly maxLineLength: number;
  /** Most `data` one event may gather, in UTF-16 code units. */
  readonly maxEventLength: number;
}

// Doppler's frames are `data: {"type":"ping"}`-sized; these leave ample room while bounding a
// hostile or broken server to a few tens of kilobytes held per stream.
export const DEFAULT_SSE_LIMITS: SseLimits = { maxLineLength: 16 * 1024, maxEventLength: 64 * 1024 };

/**
 * An incremental `text/event-stream` parser: bytes in, events out, whatever the chunking. Lines
 * end with `\r\n`, `\n` or `\r` (a `\r` at the end of one chunk and a `\n` at the start of the
 * next are one line end); a UTF-8 sequence split across chunks is decoded once whole; comments
 * (`:` lines) are dropped; multi-line `data` is joined with `\n`; a blank line dispatches.
 * Everything it holds is bounded: a line or an event past its limit is a typed error, after
 * which the parser refuses more input (the stream is to be closed and reopened).
 */
export class SseParser {
  readonly #decoder = new TextDecoder('utf-8');
  readonly #limits: SseLimits;
  #line = '';
  #afterCr = false;
  #started = false;
  #data: string[] = [];
  #dataLength = 0;
  #type = '';
  #id: string | undefined;
  #broken: DopplerError | undefined;

  constructor(limits: SseLimits = DEFAULT_SSE_LIMITS) {
    this.#limits = limits;
  }

  /**
   * Feeds one chunk as it came off the wire.
   * @returns the events it completed, in order (often none, sometimes several).
   * @throws {DopplerError} `DOPPLER_RESPONSE_TOO_LARGE` when a line or an event outgrows its limit.
   */
  push(chunk: Uint8Array | string): SseEvent[] {
    if (this.#broken) throw this.#broken;
    let text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    if (!this.#started && text.length > 0) {
      this.#started = true;
      // A byte-order mark is allowed before the first line, and only there.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code !== 0x0a && code !== 0x0d) continue;
      if (code === 0x0a && this.#afterCr && i === start && this.#line === '') {
        // The \n of a \r\n whose \r ended the previous chunk (or the previous line).
        this.#afterCr = false;
        start = i + 1;
        continue;
      }
      this.append(text.slice(start, i));
      this.#afterCr = code === 0x0d;
      if (code === 0x0d && text.charCodeAt(i + 1) === 0x0a) {
        i++;
        this.#afterCr = false;
      }
      start = i + 1;
      const line = this.#line;
      this.#line = '';
      const event = this.line(line);
      if (event) events.push(event);
    }
    if (start < text.length) {
      this.#afterCr = false;
      this.append(text.slice(start));
    }
    return events;
  }

  private append(piece: string): void {
    if (this.#line.length + piece.length > this.#limits.maxLineLength) {
      throw this.fail(
        `a line longer than ${this.#limits.maxLineLength} characters arrived`,
        'SSE_LINE_TOO_LONG',
      );
    }
    this.#line += piece;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.charCodeAt(0) === 0x3a) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#type = value;
        break;
      case 'data':
        this.#dataLength += value.length + 1;
        if (this.#dataLength > this.#limits.maxEventLength) {
          throw this.fail(
            `an event of more than ${this.#limits.maxEventLength} characters of data arrived`,
            'SSE_EVENT_TOO_LARGE',
          );
        }
        this.#data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.#id = value;
        break;
      default:
        // `retry` and unknown fields: the reconnect policy is ours, and the rest means nothing here.
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const data = this.#data;
    const type = this.#type;
    this.#data = [];
    this.#dataLength = 0;
    this.#type = '';
    if (data.length === 0) return undefined;
    return {
      type: type === '' ? 'message' : type,
      data: data.join('\n'),
      ...(this.#id !== undefined && { id: this.#id }),
    };
  }

  private fail(what: string, reason: string): DopplerError {
    this.#broken = dopplerError(
      'DOPPLER_RESPONSE_TOO_LARGE',
      `The watch stream was closed: ${what}, more than a watch event ever holds. It is reopened with backoff; check the apiUrl option and any proxy in between.`,
      { retryable: true, reason },
    );
    return this.#broken;
  }
}
