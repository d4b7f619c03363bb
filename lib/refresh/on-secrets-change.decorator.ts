import { SetMetadata } from '@nestjs/common';

/** Internal metadata key of {@link OnSecretsChange}. */
export const ON_SECRETS_CHANGE = 'DOPPLER:ON_SECRETS_CHANGE';

/** Which changes a handler is called for. */
export interface SecretsChangeFilter {
  /** Call only when one of these names changed, appeared or disappeared; none means any change. */
  readonly keys?: readonly string[];
  /** The `name` of the `DopplerModule` registration to follow. @default undefined (the unnamed one) */
  readonly instance?: string;
}

// Prototypes carrying a handler: the explorer scans the methods of an instance only when its
// prototype chain holds one, so an app without handlers pays next to nothing for the feature.
const decorated = new WeakSet<object>();
let declaredAny = false;

/** @internal True once any class in the process has declared an `@OnSecretsChange` method. */
export function anySecretsChangeHandler(): boolean {
  return declaredAny;
}

/** @internal True when `prototype` or one it inherits from declares an `@OnSecretsChange` method. */
export function declaresSecretsChangeHandler(prototype: object | null): boolean {
  for (
    let p = prototype;
    p !== null && p !== Object.prototype;
    p = Object.getPrototypeOf(p) as object | null
  ) {
    if (decorated.has(p)) return true;
  }
  return false;
}

/** What {@link OnSecretsChange} records on a method. */
export interface SecretsChangeSubscription {
  readonly keys: readonly string[];
  readonly instance?: string;
}

/**
 * Calls the decorated method of a provider or controller after each applied change of the secrets
 * (a refresh, a webhook, a volume swap), with the `SecretsChange` (names only, never values). The
 * new values are already served: read them from `SecretsService`. With keys, only changes touching
 * one of them call it. An async handler's rejection is logged (masked) and never stops other
 * handlers or the refresher; the handlers of one change finish before the next change is
 * delivered (changes that arrive meanwhile are merged into one).
 *
 * @example
 * @OnSecretsChange('DATABASE_URL')
 * async rotatePool(change: SecretsChange) {
 *   const next = createPool(this.secrets.get('DATABASE_URL').reveal());
 *   const previous = this.pool;
 *   this.pool = next;          // new connections use the new secret at once
 *   await previous.end();      // then the old pool drains
 * }
 *
 * @OnSecretsChange({ instance: 'platform', keys: ['SHARED_SIGNING_KEY'] })
 * reloadSigner() { ... }
 */
export function OnSecretsChange(...filter: [SecretsChangeFilter] | string[]): MethodDecorator {
  const [first] = filter;
  const subscription: SecretsChangeSubscription =
    typeof first === 'object'
      ? { keys: [...(first.keys ?? [])], ...(first.instance !== undefined && { instance: first.instance }) }
      : { keys: filter as string[] };
  const record = SetMetadata(ON_SECRETS_CHANGE, subscription);
  return (target, key, descriptor) => {
    decorated.add(target);
    declaredAny = true;
    return record(target, key, descriptor);
  };
}
