/**
 * One fresh process's start, for the fresh section (fresh-start.ts runs it). The packages load as
 * a CommonJS app loads them (`require`: Nest 11 apps, most users), the ones every variant shares
 * first, the variant's own (nestjs-doppler, the official SDK) when it runs; then one
 * `createApplicationContext` with three keys against the stand-in. Prints one result line:
 * milliseconds from the process's start to the app being ready, and the boot alone (the
 * process's first, so nothing is compiled yet). In an ES module app that imports axios itself,
 * nestjs-doppler's CommonJS build loads axios's CommonJS build beside it: a second copy, not
 * measured here.
 *
 * usage: node fresh-boot.js <module|hand|sdk> <apiUrl>
 */
import 'reflect-metadata';
import { createRequire } from 'node:module';
import type * as NestCommon from '@nestjs/common';
import type * as NestCore from '@nestjs/core';
import type Axios from 'axios';
import type * as Doppler from 'nestjs-doppler';
import type DopplerSdk from '@dopplerhq/node-sdk';
import { emitResult, LEAN_TOKEN } from './harness.js';
// class-transformer and class-validator have no ES module entry for Node: this import and a
// require() reach the same CommonJS files, and so the same metadata.
import { handRolled, MinimalSecrets, withSdk } from './minimal-app.js';

const require = createRequire(import.meta.url);
const { Module } = require('@nestjs/common') as typeof NestCommon;
const { NestFactory } = require('@nestjs/core') as typeof NestCore;
const axios = require('axios') as typeof Axios;

const [variant, apiUrl] = process.argv.slice(2);
if ((variant !== 'module' && variant !== 'hand' && variant !== 'sdk') || apiUrl === undefined) {
  throw new Error('usage: fresh-boot.js <module|hand|sdk> <apiUrl>');
}

/** The variant's root module; its own package is imported here, as part of the start. */
function rootModule(): NestCommon.Type<unknown> {
  if (variant === 'module') {
    const { DopplerModule } = require('nestjs-doppler') as typeof Doppler;
    @Module({ imports: [DopplerModule.forRoot({ token: LEAN_TOKEN, apiUrl, schema: MinimalSecrets })] })
    class Root {}
    return Root;
  }
  if (variant === 'sdk') {
    const DopplerSDK = (require('@dopplerhq/node-sdk') as { default: typeof DopplerSdk }).default;
    @Module({ providers: [{ provide: 'SECRETS', useFactory: () => withSdk(DopplerSDK, apiUrl) }] })
    class Root {}
    return Root;
  }
  @Module({ providers: [{ provide: 'SECRETS', useFactory: () => handRolled(axios, apiUrl) }] })
  class Root {}
  return Root;
}

const root = rootModule();
const bootAt = performance.now();
const app = await NestFactory.createApplicationContext(root, { logger: false, abortOnError: false });
const readyAt = performance.now(); // since the process started
await app.close();
emitResult({ totalMs: readyAt, bootMs: readyAt - bootAt });
