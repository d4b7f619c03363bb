/** Values that satisfy the sample app's AppSecrets schema, as Doppler would send them. */
export const VALID_SAMPLE_SECRETS: Readonly<Record<string, string>> = {
  DATABASE_URL: 'postgres://u@db/app',
  DATABASE_POOL_SIZE: '4',
  PAYMENTS_API_KEY: 'pay-key-0123456789abc',
  SESSION_SECRET: 'session-secret-0123456789abcdef',
};
