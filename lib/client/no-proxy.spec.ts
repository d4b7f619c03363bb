import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bypassesProxy, parseNoProxy } from './no-proxy.js';

const bypass = (noProxy: string, host: string, port = 443) =>
  bypassesProxy(parseNoProxy(noProxy), host, port);

describe('NO_PROXY matching, as curl reads it', () => {
  it.each([
    // [NO_PROXY, host, port, expected]
    ['', 'api.doppler.com', 443, false],
    ['*', 'api.doppler.com', 443, true],
    ['*', '10.1.2.3', 443, true],
    ['other.com, *', 'api.doppler.com', 443, true],
    ['doppler.com', 'doppler.com', 443, true],
    ['doppler.com', 'api.doppler.com', 443, true],
    ['doppler.com', 'a.b.api.doppler.com', 443, true],
    ['.doppler.com', 'api.doppler.com', 443, true],
    ['.doppler.com', 'doppler.com', 443, true],
    ['*.doppler.com', 'api.doppler.com', 443, true],
    ['doppler.com', 'notdoppler.com', 443, false],
    ['doppler.com', 'doppler.com.evil.net', 443, false],
    ['pler.com', 'api.doppler.com', 443, false],
    ['api.doppler.com', 'doppler.com', 443, false],
    ['DOPPLER.COM', 'Api.Doppler.Com', 443, true],
    ['doppler.com.', 'api.doppler.com', 443, true],
    ['doppler.com', 'api.doppler.com.', 443, true],
    ['a.com,doppler.com', 'api.doppler.com', 443, true],
    ['a.com doppler.com', 'api.doppler.com', 443, true],
    ['a.com ,\t doppler.com', 'api.doppler.com', 443, true],
    ['doppler.com:443', 'api.doppler.com', 443, true],
    ['doppler.com:8443', 'api.doppler.com', 443, false],
    ['doppler.com:8443', 'api.doppler.com', 8443, true],
    ['10.1.2.3', '10.1.2.3', 443, true],
    ['10.1.2.3', '10.1.2.4', 443, false],
    ['10.1.2.3:443', '10.1.2.3', 443, true],
    ['10.1.2.3:80', '10.1.2.3', 443, false],
    ['10.0.0.0/8', '10.200.3.4', 443, true],
    ['10.0.0.0/8', '11.0.0.1', 443, false],
    ['192.168.0.0/16', '192.168.77.1', 443, true],
    ['192.168.0.0/16', '192.169.0.1', 443, false],
    ['0.0.0.0/0', '8.8.8.8', 443, true],
    ['10.0.0.0/8', '::ffff:10.1.1.1', 443, true],
    // An address entry never matches a name (no DNS is done to compare), nor a name an address.
    ['10.0.0.0/8', 'ten.example', 443, false],
    ['example', '10.0.0.1', 443, false],
    ['::1', '[::1]', 443, true],
    ['[::1]', '::1', 443, true],
    ['[::1]:8443', '[::1]', 8443, true],
    ['[::1]:8443', '[::1]', 443, false],
    ['fd00::/8', '[fd12:3456::1]', 443, true],
    ['fd00::/8', '[fe80::1]', 443, false],
    ['2001:DB8::/32', '[2001:db8:ffff::1]', 443, true],
    ['2001:db8::1', '[2001:0db8:0000:0000:0000:0000:0000:0001]', 443, true],
    // IPv4 and IPv6 ranges do not cross.
    ['::/0', '10.1.1.1', 443, false],
    ['bücher.example', 'xn--bcher-kva.example', 443, true],
  ])('NO_PROXY=%j, host %s:%i -> %s', (noProxy, host, port, expected) => {
    expect(bypass(noProxy, host, port)).toBe(expected);
  });

  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/x', '[::1', 'host:99999', '.', '*.', 'a*b.com', 'host:port:x'])(
    'skips the unreadable entry %j instead of guessing',
    (entry) => {
      expect(parseNoProxy(entry)).toEqual([]);
      // ...and still reads the entries around it.
      expect(bypass(`${entry},doppler.com`, 'api.doppler.com')).toBe(true);
    },
  );

  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  // A name's last label starts with a letter (a top-level domain is never numeric): without it,
  // "0.0.0.0" is drawn, an address, which a name entry rightly never matches.
  const topLabel = fc.stringMatching(/^[a-z]([a-z0-9-]{0,10}[a-z0-9])?$/);
  const domain = fc
    .tuple(fc.array(label, { maxLength: 4 }), topLabel)
    .map(([labels, top]) => [...labels, top]);

  it('a host always matches an entry equal to it or to any parent domain, however written', () => {
    fc.assert(
      fc.property(
        domain,
        fc.nat(),
        fc.constantFrom('', '.', '*.'),
        fc.boolean(),
        fc.boolean(),
        (labels, cut, prefix, upper, trailingDot) => {
          const host = labels.join('.');
          const parent = labels.slice(cut % labels.length).join('.');
          const entry = `${prefix}${upper ? parent.toUpperCase() : parent}`;
          expect(bypass(entry, `${host}${trailingDot ? '.' : ''}`)).toBe(true);
          expect(bypass(`unrelated.invalid, ${entry}`, host)).toBe(true);
        },
      ),
    );
  });

  it('an entry never matches a host it is not a label-aligned suffix of', () => {
    fc.assert(
      fc.property(domain, label, (labels, extra) => {
        const host = labels.join('.');
        // Glued onto the first label: "x" + "api.doppler.com" is not a parent of it, and
        // "api.doppler.com" is not a parent of a host that only ends in it without a dot.
        expect(bypass(`${extra}${host}`, host)).toBe(false);
        expect(bypass(host, `${extra}${host}`)).toBe(false);
      }),
    );
  });

  it('an IPv4 address matches every range that contains it, and not the neighbouring range', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.tuple(octet, octet, octet, octet), fc.integer({ min: 0, max: 32 }), (parts, bits) => {
        const address = parts.join('.');
        const value = parts.reduce((n, p) => n * 256 + p, 0);
        const network = bits === 0 ? 0 : Math.floor(value / 2 ** (32 - bits)) * 2 ** (32 - bits);
        const base = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.');
        expect(bypass(`${base}/${bits}`, address)).toBe(true);
        // Flipping the last bit of the prefix gives an address in another network.
        if (bits > 0) {
          const bit = 2 ** (32 - bits);
          const other = Math.floor(value / bit) % 2 === 0 ? value + bit : value - bit;
          const otherAddress = [24, 16, 8, 0].map((shift) => Math.floor(other / 2 ** shift) % 256).join('.');
          expect(bypass(`${base}/${bits}`, otherAddress)).toBe(false);
        }
      }),
    );
  });
});
