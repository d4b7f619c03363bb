/**
 * Runs before every test file. The unit and e2e projects reuse one worker process for many files
 * (`isolate: false`: Nest, axios and class-validator are imported once per worker, not once per
 * file), so what a file changes in the process is put back when it ends: the environment, fake
 * timers, spies and stubs, and Nest's static logger (`NestFactory.create(..., { logger: false })`
 * and `Logger.overrideLogger` replace it for the whole process).
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { afterAll, vi } from 'vitest';

interface LoggerStatics {
  staticInstanceRef: unknown;
  logLevels: unknown;
  isBufferAttached: unknown;
  logBuffer: unknown[];
}

const statics = Logger as unknown as LoggerStatics;
const FIRST = Symbol.for('nestjs-doppler.test.first-logger-state');
type Saved = Pick<LoggerStatics, 'staticInstanceRef' | 'logLevels' | 'isBufferAttached'> & {
  options: Record<string, unknown> | undefined;
};
const store = globalThis as unknown as Record<symbol, Saved | undefined>;
// The state the first file of this worker found, before any test changed it.
store[FIRST] ??= {
  staticInstanceRef: statics.staticInstanceRef,
  logLevels: statics.logLevels,
  isBufferAttached: statics.isBufferAttached,
  options: copyOf(optionsOf(statics.staticInstanceRef)),
};
const logger = store[FIRST];
const env = { ...process.env };

/** A ConsoleLogger's own options object, which `setLogLevels()` changes in place. */
function optionsOf(instance: unknown): Record<string, unknown> | undefined {
  return (instance as { options?: Record<string, unknown> } | undefined)?.options;
}

function copyOf(options: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return options && { ...options };
}

afterAll(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  Object.assign(process.env, env);
  statics.staticInstanceRef = logger.staticInstanceRef;
  statics.logLevels = logger.logLevels;
  statics.isBufferAttached = logger.isBufferAttached;
  statics.logBuffer.length = 0;
  const options = optionsOf(logger.staticInstanceRef);
  if (options && logger.options) {
    for (const key of Object.keys(options)) delete options[key];
    Object.assign(options, logger.options);
  }
});
