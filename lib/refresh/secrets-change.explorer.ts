import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import type { DopplerInstances } from '../doppler-instances.js';
import { DOPPLER_INSTANCES, LOGGER_CONTEXT } from '../doppler.constants.js';
import type { SecretsChange } from '../interfaces/secrets-status.interface.js';
import { SecretsService } from '../secrets.service.js';
import {
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
 * DiscoveryService does, which `@OnEvent` and `@Cron` use) and calls it after each applied change of the registration it follows. One queue per
 * registration: the handlers of a change run together and finish before the next change is
 * delivered; changes arriving meanwhile are merged into one (so a slow handler holds at most one).
 */
@Injectable()
export class SecretsChangeExplorer implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly #subscriptions: Subscription[] = [];

  constructor(
    // The container DiscoveryService reads, injected directly: importing DiscoveryModule would
    // add a module and two providers to every app's boot for a feature most apps do not use.
    private readonly modules: ModulesContainer,
    @Inject(DOPPLER_INSTANCES) private readonly instances: DopplerInstances,
    // A service a test put in with overrideProvider is not in the registry.
    @Optional() @Inject(SecretsService) private readonly unnamed: SecretsService<object> | undefined,
  ) {}

  onApplicationBootstrap(): void {
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
    for (const [name, handlers] of byInstance) {
      const service = this.instances.get(name) ?? (name === undefined ? this.unnamed : undefined);
      if (service === undefined) {
        new Logger(LOGGER_CONTEXT).warn(
          `@OnSecretsChange handlers (${handlers.map((h) => h.where).join(', ')}) follow ${name === undefined ? 'the unnamed DopplerModule registration' : `the registration "${name}"`}, which this app does not have; they are never called.`,
        );
        continue;
      }
      const deliver = queue((change) => this.dispatch(service, handlers, change));
      this.#subscriptions.push(service.changes.subscribe(deliver));
    }
  }

  onApplicationShutdown(): void {
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe();
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
