import type { INestApplication } from '@nestjs/common';
import { NestFactory, type IEntryNestModule } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** The HTTP platforms Nest ships, each tested as a real server on 127.0.0.1. */
export const PLATFORMS = ['express', 'fastify'] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface ListeningApp {
  readonly app: INestApplication;
  /** e.g. `http://127.0.0.1:43567` */
  readonly url: string;
}

/**
 * Creates the app on `platform`, lets `configure` touch it before it listens (body parsers),
 * and listens on a free loopback port: requests then go through the platform's real HTTP
 * stack (Fastify's content-type parsers, Express's body-parser), not an in-process injection.
 */
export async function listenOn(
  platform: Platform,
  module: IEntryNestModule,
  options: { readonly rawBody: boolean; readonly logger?: false },
  configure: (app: INestApplication) => void = () => {},
): Promise<ListeningApp> {
  const appOptions = { logger: options.logger ?? false, rawBody: options.rawBody, abortOnError: false };
  const app =
    platform === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), appOptions)
      : await NestFactory.create(module, appOptions);
  configure(app);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}
