import {
  ConsoleLogger,
  Inject,
  Injectable,
  Optional,
  type ConsoleLoggerOptions,
  type LogLevel,
} from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { inspect, type InspectOptionsStylized } from 'node:util';
import { instancesOf, type DopplerInstances } from '../doppler-instances.js';
import { SecretsService } from '../secrets.service.js';
import type { Redactor } from './redactor.js';
import { redactValue } from './redact-value.js';

/**
 * What {@link DopplerLogger} reads from a {@link SecretsService}: the current version, at
 * each call. A `SecretsService` of any schema is one.
 */
export interface RedactionSource {
  snapshot(): { redact(text: string): string };
}

/** What Nest's ConsoleLogger passes to its JSON-record methods. */
/**
 * The record ConsoleLogger's JSON mode builds. Declared here rather than taken from
 * `ConsoleLogger['getJsonLogObject']`: Nest 11.0 has no JSON mode, and a type reaching
 * for the method would break the typings there.
 */
interface JsonLogRecord {
  [key: string]: unknown;
  level: LogLevel;
  pid: number;
  timestamp: number;
  message: unknown;
  context?: string;
  stack?: unknown;
  error?: Record<string, unknown>;
  params?: Record<string, unknown>;
}

interface JsonRecordOptions {
  context: string;
  logLevel: LogLevel;
  writeStreamType?: 'stdout' | 'stderr';
  errorStack?: unknown;
  params?: Record<string, unknown>;
  error?: Error;
}

/**
 * Nest's `ConsoleLogger` that masks every current secret value before anything is written:
 * in messages, in the objects and arrays it prints (nested too), in Errors (message, stack,
 * properties, `cause`), in stack traces, in structured params and context names, in text
 * and in JSON mode. Values are masked as {@link SecretsService.redact} does (from 4
 * characters, also where JSON or `util.inspect` escaped them).
 *
 * It reads `secrets.snapshot()` at each call, so a refresh that rotates a value is masked
 * from the next line on. Every `ConsoleLogger` option (`json`, `colors`, `logLevels`,
 * `redact`, ...) works as in Nest.
 *
 * Built without `secrets` (before any exist) it prints like a plain `ConsoleLogger`:
 * there is nothing to mask yet. With `bufferLogs: true`, lines logged during bootstrap
 * are held back and written through this logger, masked, once `app.useLogger()` is called.
 *
 * The logger masks what it is given to write; it cannot mask what other code prints with
 * `console.log` or `process.stdout.write`, nor a value encoded beyond recognition (base64,
 * URL-encoded, split across lines by the caller).
 *
 * @example
 * // app.module.ts: DopplerModule makes SecretsService injectable.
 * @Module({ imports: [DopplerModule.forRoot({ token, schema: AppSecrets })], providers: [DopplerLogger] })
 * export class AppModule {}
 *
 * // main.ts
 * const app = await NestFactory.create(AppModule, { bufferLogs: true });
 * app.useLogger(app.get(DopplerLogger));
 */
@Injectable()
export class DopplerLogger extends ConsoleLogger {
  readonly #given: readonly RedactionSource[];
  readonly #instances: DopplerInstances | undefined;

  /**
   * @param secrets where the current values are read at each call; without it nothing is masked.
   * @param context the default context, as for `ConsoleLogger`.
   * @param options `ConsoleLogger` options (`json`, `colors`, `logLevels`, `timestamp`, ...).
   * @example
   * app.useLogger(new DopplerLogger(app.get(SecretsService), 'App', { json: true }));
   */
  constructor(
    // Not @Optional(): through DI, a missing SecretsService must fail the bootstrap, not
    // leave a logger that silently masks nothing. The token is explicit because the type
    // is structural: `SecretsService<AppSecrets>` is not assignable to one fixed instance.
    @Inject(SecretsService) secrets?: RedactionSource | readonly RedactionSource[],
    @Optional() context?: string,
    @Optional() options?: ConsoleLoggerOptions,
    // The app's container, where the registry of every other registration (named ones) is kept,
    // so their values are masked too.
    @Optional() @Inject(ModulesContainer) modules?: ModulesContainer,
  ) {
    // An empty context is no context to ConsoleLogger; `options.context` is honoured as there.
    super(context ?? options?.context ?? '', options ?? {});
    this.#given = secrets === undefined ? [] : isSourceList(secrets) ? [...secrets] : [secrets];
    this.#instances = modules === undefined ? undefined : instancesOf(modules);
  }

  /** Every source of values to mask, each once. */
  #sources(): RedactionSource[] {
    const all = new Set<RedactionSource>(this.#given);
    for (const [, service] of this.#instances?.entries() ?? []) all.add(service);
    return [...all];
  }

  /** The masking of the versions current now; undefined before any secret exists. */
  #redactor(): Redactor | undefined {
    const snapshots = this.#sources().map((source) => source.snapshot());
    if (snapshots.length === 0) return undefined;
    if (snapshots.length === 1) {
      const [only] = snapshots;
      return (text) => only?.redact(text) ?? text;
    }
    return (text) => snapshots.reduce((masked, snapshot) => snapshot.redact(masked), text);
  }

  #redactText(text: string): string {
    return this.#redactor()?.(text) ?? text;
  }

  /**
   * Every log method ends here with its messages, context, params and (for `error` and
   * `fatal`) stack: they are masked as values, before ConsoleLogger formats them.
   */
  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    const redact = this.#redactor();
    if (redact === undefined) {
      super.printMessages(messages, context, logLevel, writeStreamType, errorStack, params);
      return;
    }
    // One map for the whole call: an object logged twice (as message and in params) is
    // copied once.
    const seen = new Map<object, unknown>();
    super.printMessages(
      // A lazy message (a function) is resolved first, so that what it returns is masked too.
      messages.map((message) => redactValue(this.resolveMessage(message), redact, seen)),
      redact(context),
      logLevel,
      writeStreamType,
      redactValue(errorStack, redact, seen),
      params && (redactValue(params, redact, seen) as Record<string, unknown>),
    );
  }

  /**
   * The formatted line, masked once more as text: it catches values inside objects that
   * could not be copied (class instances), as inspect printed them.
   */
  protected override formatMessage(
    logLevel: LogLevel,
    message: unknown,
    pidMessage: string,
    formattedLogLevel: string,
    contextMessage: string,
    timestampDiff: string,
    params?: Record<string, unknown>,
  ): string {
    return this.#redactText(
      super.formatMessage(
        logLevel,
        message,
        pidMessage,
        formattedLogLevel,
        contextMessage,
        timestampDiff,
        params,
      ),
    );
  }

  /** `error(message, stack)` prints the stack separately, after the line: masked too. */
  protected override printStackTrace(stack: string): void {
    super.printStackTrace(typeof stack === 'string' ? this.#redactText(stack) : stack);
  }

  /** JSON mode (the default, compact and colourless): the serialised record, masked as text. */
  protected override stringifyJsonLogObject(logObject: Record<string, unknown>): string {
    return this.#redactText(super.stringifyJsonLogObject(logObject));
  }

  /**
   * JSON mode with colours or without `compact` prints the record with `util.inspect`,
   * straight to the stream. The record gets a (non-enumerable, so never serialised)
   * inspect hook that masks that output as text too.
   */
  protected override getJsonLogObject(message: unknown, options: JsonRecordOptions): JsonLogRecord {
    const record = super.getJsonLogObject(message, options);
    if (this.#sources().length === 0) return record;
    const redactText = (text: string): string => this.#redactText(text);
    Object.defineProperty(record, inspect.custom, {
      enumerable: false,
      value: (_depth: number, inspectOptions: InspectOptionsStylized): string =>
        redactText(inspect({ ...record }, inspectOptions)),
    });
    return record;
  }
}

function isSourceList(
  value: RedactionSource | readonly RedactionSource[],
): value is readonly RedactionSource[] {
  return Array.isArray(value);
}
