import type { ModulesContainer } from '@nestjs/core';

/**
 * One `T` per Nest app, made on first use: keyed by the app's module container, which Nest
 * provides everywhere, so nothing needs a module or a provider of its own (each adds to every
 * boot's scan and linking). Dropped with the app.
 */
export function perApp<T>(make: (modules: ModulesContainer) => T): (modules: ModulesContainer) => T {
  const made = new WeakMap<ModulesContainer, T>();
  return (modules) => {
    let value = made.get(modules);
    if (value === undefined) {
      value = make(modules);
      made.set(modules, value);
    }
    return value;
  };
}
