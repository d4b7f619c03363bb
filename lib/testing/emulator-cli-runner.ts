import { parseArgs } from 'node:util';
import { DopplerEmulator } from './doppler-emulator.js';
import { watchSeedFile, type SeedWatchOptions } from './emulator-seed-watcher.js';

/** Exit code for bad arguments or an unusable seed, as for most CLIs' usage errors. */
export const EXIT_USAGE = 2;

/** Exit code when the server cannot start (e.g. port in use). */
export const EXIT_FAILURE = 1;

/** Where the CLI writes and which signals stop it; `process` in production, fakes in tests. */
export interface EmulatorCliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly signals: {
    once(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
    off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  };
  /** Called once the emulator listens; lets tests reach the running instance. */
  readonly onListening?: (emulator: DopplerEmulator) => void;
  /** How the seed file is followed (tests: a fake clock, the poll alone). */
  readonly seedWatch?: SeedWatchOptions;
}

/** Text printed for `--help`. */
export const EMULATOR_CLI_USAGE = `Usage: nestjs-doppler-emulator --seed <file.json> [--port <n>] [--host <address>]

Serves Doppler's secrets API locally from a JSON seed file: GET /v3/configs/config/secrets/download
(every format and name transformer), GET /v3/configs/config/secrets/names and the watch stream
GET /v3/configs/config/secrets/watch. An edit to the seed file is served at once (a malformed edit
is reported and the previous seed kept), and watchers of every config it changed get
secrets.update.

Options:
  -s, --seed <file>    JSON seed with projects, configs, secrets and tokens (required)
  -p, --port <n>       port to listen on (default: 0, a free port)
      --host <address> interface to bind (default: 127.0.0.1)
  -h, --help           show this help
`;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Runs the emulator CLI until SIGINT/SIGTERM.
 *
 * @returns the process exit code
 *
 * @example
 * process.exitCode = await runEmulatorCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signals: process });
 */
export async function runEmulatorCli(argv: readonly string[], io: EmulatorCliIo): Promise<number> {
  const parsed = parseCliArgs(argv);
  if ('error' in parsed) {
    io.stderr.write(`nestjs-doppler-emulator: ${parsed.error}\n\n${EMULATOR_CLI_USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.help) {
    io.stdout.write(EMULATOR_CLI_USAGE);
    return 0;
  }
  let emulator: DopplerEmulator;
  try {
    emulator = DopplerEmulator.fromFile(parsed.seed, { port: parsed.port, host: parsed.host });
  } catch (error: unknown) {
    io.stderr.write(`nestjs-doppler-emulator: ${messageOf(error)}\n`);
    return EXIT_USAGE;
  }
  let url: string;
  try {
    url = await emulator.start();
  } catch (error: unknown) {
    io.stderr.write(`nestjs-doppler-emulator: cannot listen: ${messageOf(error)}\n`);
    return EXIT_FAILURE;
  }
  const summaryOf = (): string => {
    const { projects, configs, tokens, identities } = emulator.summary;
    const oidc = identities > 0 ? `, ${identities} OIDC identities` : '';
    return `${projects} projects, ${configs} configs, ${tokens} tokens${oidc}`;
  };
  io.stdout.write(`Doppler emulator listening on ${url} (${summaryOf()})\n`);
  const stopWatching = watchSeedFile(
    parsed.seed,
    () => {
      try {
        emulator.reloadSeedFile(parsed.seed);
        io.stdout.write(`Reloaded ${parsed.seed} (${summaryOf()})\n`);
      } catch (error: unknown) {
        // The messages name the file and the field, never a token or a value.
        io.stderr.write(`nestjs-doppler-emulator: kept the previous seed: ${messageOf(error)}\n`);
      }
    },
    io.seedWatch,
  );
  io.onListening?.(emulator);
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      SIGNALS.forEach((signal) => io.signals.off(signal, onSignal));
      resolve();
    };
    SIGNALS.forEach((signal) => io.signals.once(signal, onSignal));
  });
  stopWatching();
  await emulator.stop();
  return 0;
}

type ParsedArgs =
  | { readonly help: true }
  | { readonly help: false; readonly seed: string; readonly port: number; readonly host: string }
  | { readonly error: string };

function parseCliArgs(argv: readonly string[]): ParsedArgs {
  let values: { seed?: string; port?: string; host?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        seed: { type: 'string', short: 's' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error: unknown) {
    return { error: describeArgsError(error) };
  }
  if (values.help === true) {
    return { help: true };
  }
  if (values.seed === undefined || values.seed === '') {
    return { error: '--seed <file.json> is required' };
  }
  const port = Number(values.port ?? '0');
  if (!/^\d+$/.test(values.port ?? '0') || port > 65_535) {
    return { error: '--port must be an integer from 0 to 65535' };
  }
  const host = values.host ?? '127.0.0.1';
  if (host === '') {
    return { error: '--host must not be empty' };
  }
  return { help: false, seed: values.seed, port, host };
}

// parseArgs quotes stray arguments verbatim, and a stray argument may well be a token.
function describeArgsError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return 'unexpected positional argument';
  }
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /^Unknown option '(-{1,2}[\w-]+)/.exec(message ?? '')?.[1];
    return option === undefined ? 'unknown option' : `unknown option ${option}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /^Option '(?:-\w, )?(-{1,2}[\w-]+)/.exec(message ?? '')?.[1];
    return option === undefined ? 'invalid option value' : `invalid value for ${option}`;
  }
  return 'invalid arguments';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
