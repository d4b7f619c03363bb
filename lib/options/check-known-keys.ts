import { DopplerConfigurationError } from '../errors/doppler.errors.js';
import { printable } from '../core/printable.js';

/**
 * Refuses keys an options object does not have, naming the nearest known one: a typo such as
 * `timout` would otherwise be ignored and the default used in silence.
 */
export function checkKnownKeys(raw: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(raw)) {
    if (known.includes(key)) continue;
    const shown = printable(key, 40);
    const nearest = nearestName(key, known);
    throw new DopplerConfigurationError(
      `${where === 'DopplerModule' ? 'DopplerModule has' : `The ${where} option has`} no option "${shown}"` +
        (nearest !== undefined
          ? `; did you mean "${where === 'DopplerModule' ? '' : `${where}.`}${nearest}"?`
          : '.') +
        ` Known: ${known.join(', ')}.`,
    );
  }
}

/** The known name closest to `name` by edit distance, when it is close enough to be a typo. */
function nearestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length] ?? Infinity;
}
