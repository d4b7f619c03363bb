import { inspect } from 'node:util';
import { everythingShown } from './everything-shown.js';

/**
 * Records everything written to stdout/stderr (where Nest's ConsoleLogger writes) and
 * every console call, so a test can assert that no canary was printed.
 */
export class OutputCapture {
  private readonly chunks: string[] = [];
  private readonly restores: Array<() => void> = [];

  start(): this {
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (original as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
      };
      this.restores.push(() => {
        stream.write = original;
      });
    }
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        this.chunks.push(
          args
            .map((a) => (typeof a === 'string' ? a : inspect(a, { showHidden: true, depth: 10 })))
            .join(' '),
        );
        original.apply(console, args);
      };
      this.restores.push(() => {
        console[method] = original;
      });
    }
    return this;
  }

  /** Adds something that was thrown, rendered every way a logger might render it. */
  record(thrown: unknown): void {
    this.chunks.push(everythingShown(thrown));
  }

  get text(): string {
    return this.chunks.join('\n');
  }

  stop(): string {
    while (this.restores.length > 0) this.restores.pop()?.();
    return this.text;
  }
}
