/**
 * Variant (c): what a team writes by hand, after ../shared/SEED.md's Python
 * (requests.get with the token as basic-auth user, format=json, timeout=5, raise_for_status),
 * plus the same class-transformer/class-validator validation. No retries, no overall
 * deadline, no masking.
 */
import axios from 'axios';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Type } from '@nestjs/common';

export async function fetchHandRolled<T extends object>(
  apiUrl: string,
  token: string,
  schema: Type<T>,
): Promise<T> {
  const response = await axios.get<Record<string, string>>(`${apiUrl}/v3/configs/config/secrets/download`, {
    params: { format: 'json' },
    auth: { username: token, password: '' },
    timeout: 5000,
  });
  const secrets = plainToInstance(schema, response.data);
  const errors = await validate(secrets);
  if (errors.length > 0) {
    throw new Error(`Invalid secrets: ${errors.map((e) => e.property).join(', ')}`);
  }
  return secrets;
}
