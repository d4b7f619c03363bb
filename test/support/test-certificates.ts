import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, PEM. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/** Everything the TLS scenarios need, made fresh for each run (no private key is committed). */
export interface TestCertificates {
  /** A test-only certificate authority; trusted by a client only when the test says so. */
  readonly ca: KeyPair;
  /** Signed by `ca`, for doppler.test and 127.0.0.1. */
  readonly good: KeyPair;
  /** Signed by `ca`, expired (valid to the day before it was made). */
  readonly expired: KeyPair;
  /** Signed by `ca`, for other.test only. */
  readonly wrongName: KeyPair;
  /** Self-signed, for 127.0.0.1. */
  readonly selfSigned: KeyPair;
}

/** Whether the openssl CLI is there to make certificates (node:crypto cannot issue them). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Issues the test certificates with the openssl CLI into a temporary directory, then removes it. */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-doppler-tls-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  try {
    run(
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=nestjs-doppler test CA',
    );
    let serial = 1;
    const issue = (name: string, altNames: string, days: string): KeyPair => {
      run('req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${altNames}\n`);
      run(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-set_serial',
        String(++serial),
        '-days',
        days,
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.pem`,
      );
      return { cert: read(`${name}.pem`), key: read(`${name}.key`) };
    };
    const good = issue('good', 'DNS:doppler.test,IP:127.0.0.1', '2');
    // A negative validity: it ended the day before it began, so it is expired now.
    const expired = issue('expired', 'DNS:doppler.test,IP:127.0.0.1', '-1');
    const wrongName = issue('wrong', 'DNS:other.test', '2');
    run(
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      'self.key',
      '-out',
      'self.pem',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    );
    return {
      ca: { cert: read('ca.pem'), key: read('ca.key') },
      good,
      expired,
      wrongName,
      selfSigned: { cert: read('self.pem'), key: read('self.key') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
