import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/** One entry of a `NO_PROXY` list, parsed once. */
export type NoProxyEntry =
  | { readonly kind: 'everything' }
  | { readonly kind: 'name'; readonly name: string; readonly port?: number }
  | {
      readonly kind: 'address';
      readonly family: 'ipv4' | 'ipv6';
      readonly net: BlockList;
      readonly port?: number;
    };

/**
 * Parses a `NO_PROXY` value the way curl reads it: entries separated by commas or white
 * space, case-insensitive; `*` alone means every host; a name matches itself and its
 * subdomains, with or without a leading dot (`*.` is read as `.`, as many tools write it);
 * IP literals and CIDR ranges (`10.0.0.0/8`, `fd00::/8`) match addresses, never names (no
 * DNS is done for this); an entry may end in `:port` (`[::1]:8080` for IPv6). Entries that
 * cannot be read are skipped rather than guessed at.
 */
export function parseNoProxy(value: string | undefined): readonly NoProxyEntry[] {
  if (value === undefined) return [];
  return value
    .toLowerCase()
    .split(/[\s,]+/)
    .filter((raw) => raw !== '')
    .map(parseEntry)
    .filter((entry): entry is NoProxyEntry => entry !== undefined);
}

/**
 * Whether a request to `hostname:port` goes direct under these entries.
 *
 * @param hostname as in `URL.hostname` (IPv6 in brackets or not, any case, trailing dot or not)
 * @param port the effective port (443 for https: without one)
 */
export function bypassesProxy(entries: readonly NoProxyEntry[], hostname: string, port: number): boolean {
  const host = normalizeHost(hostname);
  const family = ipFamilyOf(host);
  return entries.some((entry) => {
    if (entry.kind === 'everything') return true;
    if (entry.port !== undefined && entry.port !== port) return false;
    if (entry.kind === 'name') {
      return family === undefined && (host === entry.name || host.endsWith(`.${entry.name}`));
    }
    return family !== undefined && matchesAddress(entry, host, family);
  });
}

function parseEntry(raw: string): NoProxyEntry | undefined {
  if (raw === '*') return { kind: 'everything' };
  const { host, port } = splitPort(raw);
  if (host === undefined) return undefined;
  const slash = host.indexOf('/');
  if (slash !== -1) return parseRange(host.slice(0, slash), host.slice(slash + 1), port);
  const address = unmapIPv4(host);
  const family = ipFamilyOf(address);
  if (family !== undefined) return parseRange(address, family === 'ipv4' ? '32' : '128', port);
  // URL.hostname is punycode, so a Unicode entry is compared in that form too.
  const bare = normalizeHost(host.replace(/^\*?\.+/, ''));
  const name = /[^\x00-\x7f]/.test(bare) ? domainToASCII(bare) : bare;
  // Dot-separated labels only: a stray wildcard or colon would never match anything.
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name)) return undefined;
  return { kind: 'name', name, ...(port !== undefined && { port }) };
}

/** `host`, `host:443`, `[::1]`, `[::1]:443`, bare `::1` (no port), `10.0.0.0/8`. */
function splitPort(raw: string): { host: string | undefined; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(raw);
  if (bracketed) return withPort(bracketed[1], bracketed[2]);
  if (raw.startsWith('[')) return { host: undefined };
  // More than one colon: an IPv6 literal (or range) without brackets, which cannot carry a port.
  if (raw.indexOf(':') !== raw.lastIndexOf(':')) return { host: raw };
  const withColon = /^([^:]+):(\d{1,5})$/.exec(raw);
  if (withColon) return withPort(withColon[1], withColon[2]);
  return raw.includes(':') ? { host: undefined } : { host: raw };
}

function withPort(
  host: string | undefined,
  port: string | undefined,
): { host: string | undefined; port?: number } {
  if (port === undefined) return { host };
  const number = Number(port);
  return number >= 1 && number <= 65_535 ? { host, port: number } : { host: undefined };
}

function parseRange(base: string, bits: string, port: number | undefined): NoProxyEntry | undefined {
  const address = unmapIPv4(base);
  const family = ipFamilyOf(address);
  if (family === undefined || !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (prefix > (family === 'ipv4' ? 32 : 128)) return undefined;
  const net = new BlockList();
  net.addSubnet(address, prefix, family);
  return { kind: 'address', family, net, ...(port !== undefined && { port }) };
}

function matchesAddress(
  entry: Extract<NoProxyEntry, { kind: 'address' }>,
  host: string,
  family: 'ipv4' | 'ipv6',
): boolean {
  return entry.family === family && entry.net.check(host, family);
}

function normalizeHost(hostname: string): string {
  return unmapIPv4(
    hostname
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
      .replace(/\.+$/, ''),
  );
}

/** `::ffff:10.1.2.3` is the IPv4 address 10.1.2.3 and is matched as one. */
function unmapIPv4(host: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  return mapped?.[1] !== undefined && isIP(mapped[1]) === 4 ? mapped[1] : host;
}

function ipFamilyOf(host: string): 'ipv4' | 'ipv6' | undefined {
  const version = isIP(host);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
}
