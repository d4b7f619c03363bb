#!/usr/bin/env node
import process from 'node:process';
import { runEmulatorCli } from './emulator-cli-runner.js';

process.exitCode = await runEmulatorCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signals: process,
});
