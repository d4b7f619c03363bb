import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { DOPPLER_REFRESHER, RefresherRef } from './refresher-ref.js';

/** Starts refreshing once the app is up, and stops it (timers, requests) when it goes down. */
@Injectable()
export class DopplerLifecycle implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  constructor(@Inject(DOPPLER_REFRESHER) private readonly ref: RefresherRef) {}

  onApplicationBootstrap(): void {
    this.ref.refresher?.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.ref.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ref.close();
  }
}
