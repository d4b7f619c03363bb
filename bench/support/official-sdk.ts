/**
 * Variant (d): the official @dopplerhq/node-sdk (1.3.0) download plus the same validation.
 * The SDK has no base-URL option in its constructor (only `accessToken`), but every
 * service has `setBaseUrl()`, and `DopplerSDK.setBaseUrl()` sets it on all of them; its
 * HTTP layer picks `http` or `https` from the URL, so it talks to the emulator unchanged.
 * A service token needs no project/config; the SDK insists on the arguments, and skips
 * empty ones.
 */
import DopplerSDK from '@dopplerhq/node-sdk';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Type } from '@nestjs/common';

export async function fetchWithSdk<T extends object>(
  apiUrl: string,
  token: string,
  schema: Type<T>,
): Promise<T> {
  const sdk = new DopplerSDK({ accessToken: token });
  sdk.setBaseUrl(apiUrl);
  const data = (await sdk.secrets.download('', '', { format: 'json' })) as Record<string, string>;
  const secrets = plainToInstance(schema, data);
  const errors = await validate(secrets);
  if (errors.length > 0) {
    throw new Error(`Invalid secrets: ${errors.map((e) => e.property).join(', ')}`);
  }
  return secrets;
}
