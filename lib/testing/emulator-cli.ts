#!/usr/bin/env node
import process from 'node:process';
import { runEmulatorCli } from './emulator-cli-runner.js';

// No top-level await: the package's bin is the CommonJS build of this file.
void runEmulatorCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signals: process,
}).then((code) => {
  process.exitCode = code;
});
