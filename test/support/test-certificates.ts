import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';

/** A certificate and its key, PEM. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/** Everything the TLS scenarios need, made fresh for each worker (no private key is committed). */
export interface TestCertificates {
  /** A test-only certificate authority; trusted by a client only when the test says so. */
  readonly ca: KeyPair;
  /** Signed by `ca`, for doppler.test and 127.0.0.1. */
  readonly good: KeyPair;
  /** Signed by `ca`, expired (its validity ended half a day before it was made). */
  readonly expired: KeyPair;
  /** Signed by `ca`, for other.test only. */
  readonly wrongName: KeyPair;
  /** Self-signed, for 127.0.0.1. */
  readonly selfSigned: KeyPair;
}

// DER, only the few types an X.509 certificate needs (ITU-T X.690).
function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}
const sequence = (...items: Buffer[]) => der(0x30, ...items);
const set = (...items: Buffer[]) => der(0x31, ...items);
const explicit = (n: number, item: Buffer) => der(0xa0 + n, item);
const utf8 = (text: string) => der(0x0c, Buffer.from(text, 'utf8'));
const octets = (bytes: Buffer) => der(0x04, bytes);
const bits = (bytes: Buffer) => der(0x03, Buffer.from([0]), bytes);

function integer(bytes: Buffer): Buffer {
  // A leading 1 bit would make it negative.
  return der(0x02, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const out = [first * 40 + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) base128.unshift((v & 0x7f) | 0x80);
    out.push(...base128);
  }
  return der(0x06, Buffer.from(out));
}

/** UTCTime, which covers the years up to 2049. */
function time(at: Date): Buffer {
  const text = at.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return der(0x17, Buffer.from(`${text}Z`, 'ascii'));
}

const ECDSA_WITH_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));
const DAY_MS = 86_400_000;

const commonName = (name: string) => sequence(set(sequence(oid('2.5.4.3'), utf8(name))));

const extension = (id: string, critical: boolean, value: Buffer) =>
  sequence(oid(id), ...(critical ? [der(0x01, Buffer.from([0xff]))] : []), octets(value));

/** subjectAltName: `DNS:name` and `IP:a.b.c.d` entries. */
function altNames(names: readonly string[]): Buffer {
  const general = names.map((name) => {
    const [kind, value = ''] = name.split(':');
    if (kind === 'IP' && isIPv4(value)) return der(0x87, Buffer.from(value.split('.').map(Number)));
    if (kind === 'DNS') return der(0x82, Buffer.from(value, 'ascii'));
    throw new Error(`unsupported subjectAltName ${name}`);
  });
  return extension('2.5.29.17', false, sequence(...general));
}

interface Issue {
  readonly subject: string;
  readonly key: KeyObject;
  readonly issuer: { readonly name: string; readonly key: KeyObject };
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly Buffer[];
}

/** An X.509 v3 certificate, ECDSA P-256 with SHA-256, PEM. */
function certificate({ subject, key, issuer, notBefore, notAfter, extensions }: Issue): string {
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(randomBytes(8)),
    ECDSA_WITH_SHA256,
    commonName(issuer.name),
    sequence(time(notBefore), time(notAfter)),
    commonName(subject),
    key.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, issuer.key);
  const body = sequence(tbs, ECDSA_WITH_SHA256, bits(signature)).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function ecKeys(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** basicConstraints CA:TRUE, critical: what makes a certificate one that may sign others. */
const CA_EXTENSIONS = [extension('2.5.29.19', true, sequence(der(0x01, Buffer.from([0xff]))))];

/**
 * Issues the test certificates with node:crypto (keys and signatures; the certificate's DER is
 * written here, since Node parses certificates but does not issue them): a few milliseconds,
 * where spawning the openssl CLI for each key and signature took a second from a test worker.
 */
export function makeTestCertificates(): TestCertificates {
  const now = Date.now();
  const from = new Date(now - DAY_MS);
  const until = new Date(now + 2 * DAY_MS);
  const ca = ecKeys();
  const caName = 'nestjs-doppler test CA';
  const caCert = certificate({
    subject: caName,
    key: ca.publicKey,
    issuer: { name: caName, key: ca.privateKey },
    notBefore: from,
    notAfter: until,
    extensions: CA_EXTENSIONS,
  });
  const issue = (name: string, names: readonly string[], notAfter = until): KeyPair => {
    const keys = ecKeys();
    const cert = certificate({
      subject: name,
      key: keys.publicKey,
      issuer: { name: caName, key: ca.privateKey },
      notBefore: from,
      notAfter,
      extensions: [altNames(names)],
    });
    return { cert, key: pem(keys.privateKey) };
  };
  const self = ecKeys();
  return {
    ca: { cert: caCert, key: pem(ca.privateKey) },
    good: issue('good', ['DNS:doppler.test', 'IP:127.0.0.1']),
    expired: issue('expired', ['DNS:doppler.test', 'IP:127.0.0.1'], new Date(now - DAY_MS / 2)),
    wrongName: issue('wrong', ['DNS:other.test']),
    selfSigned: {
      cert: certificate({
        subject: '127.0.0.1',
        key: self.publicKey,
        issuer: { name: '127.0.0.1', key: self.privateKey },
        notBefore: from,
        notAfter: until,
        extensions: [altNames(['IP:127.0.0.1'])],
      }),
      key: pem(self.privateKey),
    },
  };
}
