import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

/**
 * A name such as `localhost` or `emulator.localhost` resolved to an address that is not
 * loopback: the token was not sent (it would have crossed the network in clear text).
 */
export class NotLoopbackError extends Error {
  readonly code = 'ERR_NOT_LOOPBACK';

  constructor(
    readonly hostname: string,
    /** What the name resolved to: addresses only, checked with `isIP`, safe to print. */
    readonly addresses: readonly string[],
  ) {
    super(`${hostname} does not resolve to a loopback address`);
    this.name = 'NotLoopbackError';
  }
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopbackAddress(address: string): boolean {
  const host = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(host);
}

/** A resolver in the shape of `dns.lookup` called with `{ all: true }`. */
export type ResolveAll = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for plain-http connections that fails, before a byte is sent, when the name
 * resolves to anything but loopback addresses: `localhost` names are trusted for clear
 * text only because they stay on this machine, which DNS or `/etc/hosts` can make untrue.
 *
 * @param resolve the resolver behind it (`dns.lookup` unless a test gives another)
 */
export function loopbackOnlyLookup(resolve: ResolveAll = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, found) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const addresses = found.map((entry) => entry.address).filter((address) => isIP(address) !== 0);
      if (addresses.length === 0 || !addresses.every(isLoopbackAddress)) {
        callback(new NotLoopbackError(hostname, addresses), '', 0);
        return;
      }
      if (options.all === true) {
        (callback as unknown as (err: null, all: LookupAddress[]) => void)(null, found);
        return;
      }
      const first = found[0];
      callback(null, first.address, first.family);
    });
  };
}
