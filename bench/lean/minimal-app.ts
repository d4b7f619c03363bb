/**
 * The app the minimal and fresh sections boot: its three-key schema, the values the stand-in
 * serves, and the fetches a team writes without this package (one axios GET, or the official
 * SDK), then class-transformer and class-validator. The HTTP library comes from the caller, so a
 * section loads it the way its app would (an ES module import, or `require`).
 */
// class-transformer's @Type reads the design types this needs, whoever imports the schema first.
import 'reflect-metadata';
import type Axios from 'axios';
import type DopplerSdk from '@dopplerhq/node-sdk';
import { plainToInstance, Type as TransformType } from 'class-transformer';
import { IsInt, IsString, IsUrl, Max, Min, MinLength, validate } from 'class-validator';
import { LEAN_TOKEN } from './harness.js';

export class MinimalSecrets {
  @IsUrl({ protocols: ['postgres'], require_tld: false })
  DATABASE_URL!: string;

  @TransformType(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT!: number;

  @IsString()
  @MinLength(16)
  API_KEY!: string;
}

export const MINIMAL_VALUES = {
  DATABASE_URL: 'postgres://app:pw-0f3c9a@db.internal:5432/shop',
  PORT: '3000',
  API_KEY: 'pk_live_0123456789abcdef0123',
};

async function checked(data: unknown): Promise<MinimalSecrets> {
  const secrets = plainToInstance(MinimalSecrets, data);
  const errors = await validate(secrets);
  if (errors.length > 0) throw new Error(`Invalid secrets: ${errors.map((e) => e.property).join(', ')}`);
  return secrets;
}

/** What a team writes by hand: one GET, the token as basic-auth user, then the same validation. */
export async function handRolled(axios: typeof Axios, apiUrl: string): Promise<MinimalSecrets> {
  const response = await axios.get<Record<string, string>>(`${apiUrl}/v3/configs/config/secrets/download`, {
    params: { format: 'json' },
    auth: { username: LEAN_TOKEN, password: '' },
    timeout: 5000,
  });
  return checked(response.data);
}

/** The official SDK has no base-URL constructor option; setBaseUrl() points every service at the stand-in. */
export async function withSdk(DopplerSDK: typeof DopplerSdk, apiUrl: string): Promise<MinimalSecrets> {
  const sdk = new DopplerSDK({ accessToken: LEAN_TOKEN });
  sdk.setBaseUrl(apiUrl);
  return checked(await sdk.secrets.download('', '', { format: 'json' }));
}
