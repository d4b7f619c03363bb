import type { Type as ClassType } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';

/** The token every benchmark presents; a service token bound to bench/prd. */
export const BENCH_TOKEN = 'dp.st.prd.bench0123456789abcdefghijklmnopqrstuv';
export const BENCH_PROJECT = 'bench';
export const BENCH_CONFIG = 'prd';

/** A typical service's secrets: 12 keys, a few URLs and numbers, the README's schema grown a little. */
export class AppSecrets {
  @IsUrl({ protocols: ['postgres'], require_tld: false })
  DATABASE_URL!: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT!: number;

  @IsString()
  @MinLength(16)
  PAYMENTS_API_KEY!: string;

  @IsUrl({ protocols: ['redis'], require_tld: false })
  REDIS_URL!: string;

  @IsString()
  @MinLength(32)
  JWT_SECRET!: string;

  @IsUrl({ protocols: ['https'] })
  SENTRY_DSN!: string;

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL!: string;

  @Transform(({ value }) => value === 'true')
  @IsBoolean()
  FEATURE_CHECKOUT_V2!: boolean;

  @IsString()
  SMTP_HOST!: string;

  @Type(() => Number)
  @IsInt()
  SMTP_PORT!: number;

  @IsString()
  S3_BUCKET!: string;

  @IsString()
  AWS_REGION!: string;
}

export const APP_SECRET_VALUES: Readonly<Record<string, string>> = {
  DATABASE_URL: 'postgres://app:pw-0f3c9a@db.internal:5432/shop',
  PORT: '3000',
  PAYMENTS_API_KEY: 'pk_live_0123456789abcdef0123',
  REDIS_URL: 'redis://cache.internal:6379/0',
  JWT_SECRET: 'a-very-long-jwt-signing-secret-0123456789',
  SENTRY_DSN: 'https://abc123@o1.ingest.sentry.io/42',
  LOG_LEVEL: 'info',
  FEATURE_CHECKOUT_V2: 'true',
  SMTP_HOST: 'smtp.internal',
  SMTP_PORT: '587',
  S3_BUCKET: 'shop-assets-prd',
  AWS_REGION: 'eu-west-1',
};

/** An emulator seed serving `secrets` to BENCH_TOKEN at bench/prd. */
export function benchSeed(secrets: Readonly<Record<string, string>> = APP_SECRET_VALUES): unknown {
  return {
    projects: { [BENCH_PROJECT]: { configs: { [BENCH_CONFIG]: { secrets } } } },
    tokens: [{ token: BENCH_TOKEN, project: BENCH_PROJECT, config: BENCH_CONFIG }],
  };
}

export function keyName(i: number): string {
  return `KEY_${String(i).padStart(5, '0')}`;
}

/**
 * A schema class with `keys` properties, decorated the way a person would (one in ten a
 * number, one in ten a URL, the rest strings with a minimum length), and a payload that
 * passes it. Each call makes a new class; class-validator keeps its metadata globally, so
 * sizes are measured in separate processes.
 */
export function generatedSchema(keys: number): {
  schema: ClassType<object>;
  values: Record<string, string>;
} {
  const Generated = class {};
  Object.defineProperty(Generated, 'name', { value: `Generated${keys}` });
  const proto = Generated.prototype;
  const values: Record<string, string> = {};
  for (let i = 0; i < keys; i++) {
    const key = keyName(i);
    switch (i % 10) {
      case 0:
        Type(() => Number)(proto, key);
        IsInt()(proto, key);
        Min(0)(proto, key);
        values[key] = String(1000 + i);
        break;
      case 1:
        IsUrl({ protocols: ['https'], require_tld: false })(proto, key);
        values[key] = `https://svc-${i}.internal/v1`;
        break;
      default:
        IsString()(proto, key);
        MinLength(8)(proto, key);
        values[key] = `value-${i}-${'x'.repeat(24)}`;
    }
  }
  return { schema: Generated, values };
}
