import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';

/**
 * Every secret the app needs, declared once. Doppler's values are validated against it at
 * bootstrap; keys Doppler holds that are not declared here stay out of the app.
 */
export class AppSecrets {
  @IsUrl({ protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true })
  DATABASE_URL!: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  DATABASE_POOL_SIZE!: number;

  @IsString()
  @MinLength(16)
  PAYMENTS_API_KEY!: string;

  @IsString()
  @MinLength(24)
  SESSION_SECRET!: string;

  @IsOptional()
  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL?: string;
}
