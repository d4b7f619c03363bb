import { systemClock, type Clock } from '../core/clock.js';
import type { LoadOutcome, SecretsSource } from './secrets-source.js';

/**
 * `process.env` as `doppler run` populates it. Every string variable is offered; the schema
 * (required for this source) exposes only the keys it declares.
 */
export class EnvironmentSource implements SecretsSource {
  readonly refreshable = false;

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly clock: Clock = systemClock,
  ) {}

  get description(): string {
    return 'the environment';
  }

  load(): Promise<LoadOutcome> {
    const raw: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [name, value] of Object.entries(this.env)) {
      if (typeof value === 'string') raw[name] = value;
    }
    return Promise.resolve({
      kind: 'set',
      set: { raw, origin: 'environment', fetchedAt: new Date(this.clock.now()) },
    });
  }
}
