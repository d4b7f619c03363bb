import { Logger } from '@nestjs/common';
import { MetadataScanner, type ModulesContainer, Reflector } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { perApp } from '../core/per-app.js';
import { LOGGER_CONTEXT } from '../doppler.constants.js';
import type { SecretsChange } from '../interfaces/secrets-status.interface.js';
import type { SecretsService } from '../secrets.service.js';
import {
  anySecretsChangeHandler,
  declaresSecretsChangeHandler,
  ON_SECRETS_CHANGE,
  type SecretsChangeSubscription,
} from './on-secrets-change.decorator.js';

type Handler = (change: SecretsChange) => unknown;

interface Bound {
  readonly subscription: SecretsChangeSubscription;
  readonly call: Handler;
  readonly where: string;
}

/**
 * Finds every `@OnSecretsChange` method (walking the app's providers and controllers as Nest's
 * DiscoveryService does, which `@OnEvent` and `@Cron` use) and calls it after each applied change
 * of the registration it follows. One per app (see {@link explorerOf}); each registration asks it
 * for its own handlers once the app is up, and the walk is made once, on the first ask. One queue
 * per registration: the handlers of a change run together and finish before the next change is
 * delivered; changes arriving meanwhile are merged into one (so a slow handler holds at most one).
 */
export class SecretsChangeExplorer {
  readonly #registrations = new Set<string | undefined>();
  #found: Map<string | undefined, Bound[]> | undefined;

  // The container DiscoveryService reads, used directly: importing DiscoveryModule would add a
  // module and two providers to every app's boot for a feature most apps do not use.
  constructor(private readonly modules: ModulesContainer) {}

  /** Notes a registration of the app, before any is followed: handlers of names not noted are warned about. */
  expect(name: string | undefined): void {
    this.#registrations.add(name);
  }

  /**
   * Subscribes the handlers that follow the registration `name` to its `service` (the loaded one,
   * or the one a test put in with overrideProvider).
   * @returns the subscription, or undefined when no handler follows it.
   */
  follow(name: string | undefined, service: SecretsService<object>): Subscription | undefined {
    const handlers = this.#handlers().get(name);
    if (handlers === undefined) return undefined;
    const deliver = queue((change) => this.dispatch(service, handlers, change));
    return service.changes.subscribe(deliver);
  }

  #handlers(): Map<string | undefined, Bound[]> {
    if (this.#found !== undefined) return this.#found;
    // No class in the process declares a handler: nothing to walk the app for.
    this.#found = anySecretsChangeHandler() ? this.#walk() : new Map();
    for (const [name, handlers] of this.#found) {
      if (this.#registrations.has(name)) continue;
      new Logger(LOGGER_CONTEXT).warn(
        `@OnSecretsChange handlers (${handlers.map((h) => h.where).join(', ')}) follow ${name === undefined ? 'the unnamed DopplerModule registration' : `the registration "${name}"`}, which this app does not have; they are never called.`,
      );
    }
    return this.#found;
  }

  #walk(): Map<string | undefined, Bound[]> {
    const scanner = new MetadataScanner();
    const reflector = new Reflector();
    const byInstance = new Map<string | undefined, Bound[]>();
    const modules = [...this.modules.values()];
    const wrappers = [
      ...modules.flatMap((module) => [...module.providers.values()]),
      ...modules.flatMap((module) => [...module.controllers.values()]),
    ];
    for (const wrapper of wrappers) {
      const instance: unknown = wrapper.instance;
      if (instance === null || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      // The decorator ran on the class before any instance existed: no mark, no handler.
      if (!declaresSecretsChangeHandler(prototype) || !wrapper.isDependencyTreeStatic()) continue;
      for (const method of scanner.getAllMethodNames(prototype)) {
        const target = (instance as Record<string, unknown>)[method];
        if (typeof target !== 'function') continue;
        const subscription = reflector.get<SecretsChangeSubscription | undefined>(ON_SECRETS_CHANGE, target);
        if (subscription === undefined) continue;
        const list = byInstance.get(subscription.instance) ?? [];
        list.push({
          subscription,
          call: (change) => (target as Handler).call(instance, change),
          where: `${instance.constructor.name}.${method}`,
        });
        byInstance.set(subscription.instance, list);
      }
    }
    return byInstance;
  }

  private async dispatch(
    service: SecretsService<object>,
    handlers: readonly Bound[],
    change: SecretsChange,
  ): Promise<void> {
    const touched = new Set([...change.changed, ...change.added, ...change.removed]);
    const due = handlers.filter(
      ({ subscription }) => subscription.keys.length === 0 || subscription.keys.some((k) => touched.has(k)),
    );
    await Promise.all(
      due.map(async (handler) => {
        try {
          await handler.call(change);
        } catch (error: unknown) {
          // Masked with the values now served: a handler's error may quote the secret it used.
          const text = error instanceof Error ? `${error.name}: ${error.message}` : 'a non-Error value';
          new Logger(LOGGER_CONTEXT).error(
            `@OnSecretsChange handler ${handler.where} failed: ${service.redact(text)}`,
          );
        }
      }),
    );
  }
}

// Keyed by the app's module container, as the registry is (see `instancesOf`): one explorer per app.
/** The explorer of the app whose module container is given, made on first use. */
export const explorerOf = perApp((modules) => new SecretsChangeExplorer(modules));

/**
 * Delivers changes one at a time: while `run` is busy, further changes are merged into one
 * pending change (names united, the newest version), so memory stays bounded whatever `run` does.
 */
function queue(run: (change: SecretsChange) => Promise<void>): (change: SecretsChange) => void {
  let busy = false;
  let pending: SecretsChange | undefined;
  const next = async (change: SecretsChange): Promise<void> => {
    busy = true;
    try {
      await run(change);
    } finally {
      busy = false;
      const waiting = pending;
      pending = undefined;
      if (waiting !== undefined) void next(waiting);
    }
  };
  return (change) => {
    if (!busy) {
      void next(change);
      return;
    }
    pending = pending === undefined ? change : merge(pending, change);
  };
}

function merge(earlier: SecretsChange, later: SecretsChange): SecretsChange {
  const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
  return {
    ...later,
    changed: union(earlier.changed, later.changed),
    added: union(earlier.added, later.added),
    removed: union(earlier.removed, later.removed),
    previousVersion: earlier.previousVersion,
  };
}
