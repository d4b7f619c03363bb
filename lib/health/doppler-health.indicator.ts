import { Inject, Injectable, Optional } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { instancesOf, type DopplerInstances } from '../doppler-instances.js';
import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { SecretsService } from '../secrets.service.js';
import {
  judgeDopplerHealth,
  type DopplerHealthDetails,
  type DopplerHealthOptions,
} from './doppler-health.js';

/**
 * A Terminus health indicator for the Doppler secrets: `up` while they are fresh, `down`
 * when they are stale (the last check with Doppler failed, or the fallback copy served)
 * and Doppler has not confirmed them for longer than `maxAgeMs`. It reports the source,
 * version, age, threshold, staleness, failure count and the last failure code; never a
 * value, a token, the project or the config.
 *
 * Add it to the providers of the module that holds your health controller, beside
 * `TerminusModule`; `SecretsService` must be injectable there (`DopplerModule` with
 * `isGlobal: true`, or imported).
 *
 * @example
 * // health.module.ts
 * @Module({
 *   imports: [TerminusModule.forRoot()],
 *   controllers: [HealthController],
 *   providers: [DopplerHealthIndicator],
 * })
 * export class HealthModule {}
 *
 * // health.controller.ts
 * @Controller('health')
 * export class HealthController {
 *   constructor(
 *     private readonly health: HealthCheckService,
 *     private readonly doppler: DopplerHealthIndicator,
 *   ) {}
 *
 *   @Get('ready')
 *   @HealthCheck()
 *   ready() {
 *     return this.health.check([() => this.doppler.isHealthy('doppler', { maxAgeMs: 10 * 60_000 })]);
 *   }
 * }
 */
@Injectable()
export class DopplerHealthIndicator {
  constructor(
    // Only the status is read: a structural type accepts a SecretsService of any schema
    // (one built by hand in a test, too), which SecretsService<object> would not.
    // Optional: an app may have only named registrations. A service a test put in with
    // overrideProvider is found here, never in the registry.
    @Optional() @Inject(SecretsService) private readonly secrets: Judged | undefined,
    private readonly indicator: HealthIndicatorService,
    // The app's container, where the registry of its registrations is kept (see instancesOf).
    @Optional() @Inject(ModulesContainer) modules: ModulesContainer | undefined,
  ) {
    this.instances = modules === undefined ? undefined : instancesOf(modules);
  }

  private readonly instances: DopplerInstances | undefined;

  /**
   * Judges the secrets now. Synchronous and free: it reads `SecretsService.status` and
   * `metadata` and makes no request to Doppler, so probes can call it as often as they like.
   *
   * @param key The key of the result in the health check's body.
   * @default key 'doppler'
   * @param options See {@link DopplerHealthOptions}; `maxAgeMs` defaults to 15 minutes.
   * @returns `{ [key]: { status: 'up' | 'down', ...DopplerHealthDetails } }`
   * @throws {DopplerConfigurationError} when `options.maxAgeMs` is not a finite number of 0 or
   *   more (Terminus then answers 500: a wrong threshold is a bug, not an outage).
   * @example
   * this.health.check([() => this.doppler.isHealthy('secrets', { maxAgeMs: 0 })]);
   */
  isHealthy<const Key extends string = 'doppler'>(
    key?: Key,
    options?: DopplerHealthOptions,
  ): HealthIndicatorResult<Key, 'up' | 'down', DopplerHealthDetails> {
    const session = this.indicator.check<Key>(key ?? ('doppler' as Key));
    const { instance, ...rule } = options ?? {};
    if (instance !== undefined) {
      const named = this.instances?.get(instance);
      if (named === undefined) {
        throw new DopplerConfigurationError(
          `The Doppler health check was asked for the registration named "${instance}", but the app has none by that name.`,
        );
      }
      const { healthy, details } = judgeDopplerHealth(named, rule);
      return healthy ? session.up(details) : session.down(details);
    }
    const main = this.secrets ?? this.instances?.get(undefined);
    const named = (this.instances?.entries() ?? []).filter(([name]) => name !== undefined);
    if (main === undefined && named.length === 0) {
      throw new DopplerConfigurationError(
        'The Doppler health check found no SecretsService: import DopplerModule (isGlobal: true) where the indicator is provided.',
      );
    }
    const verdicts = named.map(
      ([name, service]) => [name as string, judgeDopplerHealth(service, rule)] as const,
    );
    const top = main !== undefined ? judgeDopplerHealth(main, rule) : verdicts[0]?.[1];
    if (top === undefined) throw new TypeError('unreachable: no registration to judge');
    if (verdicts.length === 0 || (main === undefined && verdicts.length === 1)) {
      return top.healthy ? session.up(top.details) : session.down(top.details);
    }
    const healthy = top.healthy && verdicts.every(([, verdict]) => verdict.healthy);
    const down = verdicts.filter(([, verdict]) => !verdict.healthy).map(([name]) => name);
    const details: DopplerHealthDetails = {
      ...top.details,
      instances: Object.fromEntries(verdicts.map(([name, verdict]) => [name, verdict.details])),
      ...(!healthy &&
        top.healthy && {
          message: `The Doppler secrets of ${down.map((name) => `"${name}"`).join(', ')} are stale.`,
        }),
    };
    return healthy ? session.up(details) : session.down(details);
  }
}

/** What is judged: a `SecretsService` of any schema (one built by hand in a test, too). */
type Judged = Pick<SecretsService, 'metadata' | 'status'>;
