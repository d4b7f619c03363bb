import {
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { SecretsService } from '../secrets.service.js';
import { refresherOf } from './refresher-registry.js';

/** Starts refreshing once the app is up, and stops it (timers, requests) when it goes down. */
@Injectable()
export class DopplerLifecycle implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  constructor(private readonly secrets: SecretsService) {}

  onApplicationBootstrap(): void {
    refresherOf(this.secrets)?.start();
  }

  onModuleDestroy(): void {
    refresherOf(this.secrets)?.stop();
  }

  onApplicationShutdown(): void {
    refresherOf(this.secrets)?.stop();
  }
}
