import { inspect } from 'node:util';

/**
 * Everything a logger or a person could see of a thrown value: message, stack,
 * `util.inspect` with hidden properties, JSON and `cause`. Canary checks assert on this.
 */
export function everythingShown(thrown: unknown): string {
  const parts = [inspect(thrown, { showHidden: true, depth: 10 }), String(thrown)];
  if (thrown instanceof Error) {
    parts.push(thrown.message, String(thrown.stack), JSON.stringify(thrown), String(thrown.cause));
  }
  return parts.join('\n');
}
