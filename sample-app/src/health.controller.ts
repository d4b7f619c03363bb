import { Controller, Get } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { DopplerHealthIndicator } from 'nestjs-doppler/health';

/**
 * A Terminus check of the secrets, beside the plain `GET /health`: 503 once they have been
 * stale (failed refreshes, or the fallback copy) for longer than `DOPPLER_HEALTH_MAX_AGE_MS`
 * (15 minutes by default). Reports source, version, age and the last failure code, never a
 * value.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly doppler: DopplerHealthIndicator,
    private readonly config: ConfigService,
  ) {}

  @Get('doppler')
  @HealthCheck()
  check() {
    const maxAgeMs = Number(this.config.get<string>('DOPPLER_HEALTH_MAX_AGE_MS') ?? 15 * 60_000);
    return this.health.check([() => this.doppler.isHealthy('doppler', { maxAgeMs })]);
  }
}
