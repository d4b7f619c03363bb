import { fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Marks the one line of a section's stdout that carries its JSON result. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

/** Section scripts call this once, at the end. */
export function emitResult(result: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** Progress goes to stderr, so stdout stays parseable. */
export function progress(text: string): void {
  process.stderr.write(`  ${text}\n`);
}

/** Resolves a compiled sibling script (dist/bench/bench/...) from a module URL. */
export function scriptPath(relative: string, from: string): string {
  return fileURLToPath(new URL(relative, from));
}

/**
 * Runs a section script in a fresh Node process (its own heap, JIT state and flags) and
 * returns the JSON it emitted.
 */
export function runSection<T>(
  script: string,
  nodeFlags: readonly string[],
  args: readonly string[],
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${script} exited with ${code}${line === undefined ? ' and no result' : ''}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
    });
  });
}

/** What the emulator host process answers to. */
export type HostRequest =
  | { op: 'setSecret'; project: string; config: string; name: string; value: string }
  | { op: 'bytes' }
  | { op: 'requests' };

interface HostReply {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: string;
}

export interface HostStart {
  readonly seed: unknown;
  readonly rateLimit?: { readonly requestsPerMinute: number };
}

/** Wire bytes counted by the host's pass-through TCP proxy. */
export interface WireBytes {
  /** Client to server: request line and headers. */
  readonly up: number;
  /** Server to client: status line, headers and body. */
  readonly down: number;
}

/**
 * A DopplerEmulator in its own process, so its CPU time never lands in the measuring
 * process. `url` goes through a counting TCP proxy; `directUrl` does not.
 */
export class EmulatorHost {
  #next = 1;
  readonly #pending = new Map<number, (reply: HostReply) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly directUrl: string,
  ) {
    child.on('message', (message: HostReply) => {
      const done = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      done?.(message);
    });
  }

  static start(start: HostStart): Promise<EmulatorHost> {
    const child = fork(scriptPath('./emulator-host.js', import.meta.url), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`emulator host exited with ${code}`)));
      child.once('message', (message: { url: string; directUrl: string }) => {
        child.removeAllListeners('exit');
        resolve(new EmulatorHost(child, message.url, message.directUrl));
      });
      child.send(start);
    });
  }

  request<T>(request: HostRequest): Promise<T> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, (reply) =>
        reply.error ? reject(new Error(reply.error)) : resolve(reply.result as T),
      );
      this.child.send({ id, ...request });
    });
  }

  bytes(): Promise<WireBytes> {
    return this.request<WireBytes>({ op: 'bytes' });
  }

  setSecret(project: string, config: string, name: string, value: string): Promise<void> {
    return this.request<void>({ op: 'setSecret', project, config, name, value });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
