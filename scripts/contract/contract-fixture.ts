import { generateKeyPairSync } from 'node:crypto';
import { RESERVED_SECRET_NAMES } from '../../lib/testing/emulator-seed.js';
import { mintOidcToken, type EmulatorSeed } from '../../lib/testing/index.js';
import { findOperation, isRecord, type OpenApiDocument } from './openapi-document.js';

/** A route as the contract check sees it: only what it needs to find the operation. */
export interface ContractRoute {
  readonly method: string;
  readonly path: string;
}

/** What the checked emulator is seeded with, and the values requests are built from. */
export interface ContractFixture {
  readonly seed: EmulatorSeed;
  /** Bound to the fixture's project and config, so `project`/`config` may be left out. */
  readonly serviceToken: string;
  /** A service-account token: reads any config, and must name `project` and `config`. */
  readonly accountToken: string;
  /** Values for parameters the document cannot supply (it does not know the seeded names). */
  readonly knownValues: Readonly<Record<string, string>>;
  /**
   * A valid JSON request body per operationId, for operations that take one. The document's
   * schema says what a body looks like, not which credentials the emulator accepts.
   */
  readonly bodies: Readonly<Record<string, unknown>>;
}

const PROJECT = 'contract-app';
const CONFIG = 'dev';
// Names that exercise every name transformer: a plain one, a nested (.NET `__`) one, an empty value.
const BASE_SECRETS = {
  API_KEY: 'contract-api-key',
  DATABASE_URL: 'postgres://contract@localhost/app',
  SMTP__USER_NAME: 'mailer',
  EMPTY: '',
};

/**
 * Seeds one project and config with fixed secrets plus every secret-like property name the
 * document's success schemas of the served routes list (the download's example names), so those
 * documented property types are checked against real answers rather than against absent keys.
 */
export function contractFixture(
  document: OpenApiDocument,
  routes: readonly ContractRoute[],
): ContractFixture {
  const secrets: Record<string, string> = { ...BASE_SECRETS };
  for (const name of documentedSecretNames(document, routes)) {
    secrets[name] ??= `documented-${name.toLowerCase()}`;
  }
  const serviceToken = 'dp.st.dev.contract-check';
  const accountToken = 'dp.sa.contract-check';
  // A signed platform token for an identity with a key, so the exchange is checked in full.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const identity = {
    id: 'contract-identity',
    project: PROJECT,
    config: CONFIG,
    audience: 'https://contract.doppler.invalid',
    subject: 'system:serviceaccount:contract:app',
    publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
  const jwt = mintOidcToken({
    audience: identity.audience,
    subject: identity.subject,
    expiresInSec: 3600,
    privateKey,
  });
  return {
    seed: {
      projects: { [PROJECT]: { configs: { [CONFIG]: { secrets } } } },
      tokens: [{ token: serviceToken, project: PROJECT, config: CONFIG }, { token: accountToken }],
      identities: [identity],
    },
    serviceToken,
    accountToken,
    knownValues: { project: PROJECT, config: CONFIG, secrets: 'API_KEY,SMTP__USER_NAME' },
    bodies: {
      'auth-oidc': { identity: identity.id, token: jwt },
      // Revoking is idempotent, so an unknown token is a valid body that revokes nothing in use.
      'auth-revoke': { token: 'dp.said.contract-check-never-issued' },
    },
  };
}

function documentedSecretNames(document: OpenApiDocument, routes: readonly ContractRoute[]): string[] {
  const names: string[] = [];
  for (const route of routes) {
    const responses = findOperation(document, route.method, route.path)?.operation.responses ?? {};
    for (const [status, response] of Object.entries(responses)) {
      const schema = status.startsWith('2') ? response.content?.['application/json']?.schema : undefined;
      const properties = isRecord(schema?.properties) ? Object.keys(schema.properties) : [];
      names.push(
        ...properties.filter(
          (name) => /^[A-Z][A-Z0-9_]*$/.test(name) && !RESERVED_SECRET_NAMES.includes(name),
        ),
      );
    }
  }
  return names;
}
