import { DopplerConfigurationError } from '../errors/doppler.errors.js';

/**
 * Refuses a path option (`option` names it, e.g. `mounted.path`) with whitespace at either end or
 * a NUL in it. Each comes from how the path was injected (a YAML block scalar, an echo), never
 * from a real path, and the file system would refuse the NUL with an unrelated message.
 */
export function checkInjectedPath(path: string, option: string): void {
  if (path !== path.trim() || path.includes('\0')) {
    throw new DopplerConfigurationError(
      `The ${option} option starts or ends with whitespace, or holds a NUL character; check how it is injected.`,
    );
  }
}
