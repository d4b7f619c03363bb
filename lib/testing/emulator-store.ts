import { randomBytes, type KeyObject } from 'node:crypto';
import {
  assertSecret,
  DEFAULT_IDENTITY_TOKEN_LIFETIME_SEC,
  defaultEnvironment,
  identityPublicKey,
  parseIdentitySeed,
  parseTokenSeed,
  seedError,
  type EmulatorIdentitySeed,
  type EmulatorSeed,
  type EmulatorTokenSeed,
} from './emulator-seed.js';

/** Live state of one config; read on every request so mutations apply to the next one. */
export interface ConfigState {
  readonly environment: string;
  readonly secrets: Map<string, string>;
}

/** An identity as the emulator checks JWTs against it: its seed, with the key parsed once. */
export interface IdentityState {
  readonly seed: EmulatorIdentitySeed;
  readonly publicKey?: KeyObject;
}

/**
 * A `dp.said.` token the emulator issued, without the token: safe to print.
 *
 * @publicApi
 */
export interface EmulatorIssuedToken {
  /** The identity it was issued for. */
  readonly identity: string;
  readonly project: string;
  readonly config: string;
  /** On the emulator's clock. */
  readonly issuedAt: Date;
  /** After this, on the emulator's clock, the download answers 401. */
  readonly expiresAt: Date;
  /** Set once `POST /v3/auth/revoke` (or `revokeToken()`) revoked it. */
  readonly revokedAt?: Date;
}

/** Issued tokens kept (for `identityTokens` and the download) before ended ones are forgotten. */
export const MAX_ISSUED_TOKENS = 10_000;

interface IssuedState {
  readonly entry: EmulatorTokenSeed;
  readonly record: { -readonly [K in keyof EmulatorIssuedToken]: EmulatorIssuedToken[K] };
}

/** Mutable projects/configs/tokens behind the emulator. Maps avoid prototype-key surprises. */
export class EmulatorStore {
  private readonly projects = new Map<string, Map<string, ConfigState>>();
  private readonly tokens = new Map<string, EmulatorTokenSeed>();
  private readonly identities = new Map<string, IdentityState>();
  private readonly issued = new Map<string, IssuedState>();

  constructor(seed: EmulatorSeed) {
    for (const [projectName, project] of Object.entries(seed.projects)) {
      const configs = new Map<string, ConfigState>();
      for (const [configName, config] of Object.entries(project.configs)) {
        configs.set(configName, {
          environment: config.environment ?? defaultEnvironment(configName),
          secrets: new Map(Object.entries(config.secrets ?? {})),
        });
      }
      this.projects.set(projectName, configs);
    }
    for (const token of seed.tokens ?? []) {
      this.tokens.set(token.token, token);
    }
    for (const identity of seed.identities ?? []) {
      this.identities.set(identity.id, identityState(identity));
    }
  }

  get identityCount(): number {
    return this.identities.size;
  }

  get projectCount(): number {
    return this.projects.size;
  }

  get configCount(): number {
    let count = 0;
    for (const configs of this.projects.values()) {
      count += configs.size;
    }
    return count;
  }

  get tokenCount(): number {
    return this.tokens.size;
  }

  /** Every accepted or issued token, so the request log can scrub them. */
  knownTokens(): Iterable<string> {
    return [...this.tokens.keys(), ...this.issued.keys()];
  }

  /** A seeded token, or an issued one that is neither revoked nor expired at `now`. */
  findToken(token: string, now: number = Date.now()): EmulatorTokenSeed | undefined {
    const seeded = this.tokens.get(token);
    if (seeded !== undefined) return seeded;
    const issued = this.issued.get(token);
    if (issued === undefined || issued.record.revokedAt !== undefined) return undefined;
    return now < issued.record.expiresAt.getTime() ? issued.entry : undefined;
  }

  findIdentity(id: string): IdentityState | undefined {
    return this.identities.get(id);
  }

  addIdentity(entry: EmulatorIdentitySeed): void {
    const identity = parseIdentitySeed('identity entry', entry);
    if (this.identities.has(identity.id)) {
      throw seedError('identity entry', 'duplicates an identity the emulator already has');
    }
    this.identities.set(identity.id, identityState(identity));
  }

  /** Issues a fresh `dp.said.` token for the identity, valid for its lifetime from `now`. */
  issueToken(identity: IdentityState, now: number): { token: string; expiresAt: Date } {
    const { id, project, config, tokenLifetimeSec } = identity.seed;
    const token = `dp.said.${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(now + (tokenLifetimeSec ?? DEFAULT_IDENTITY_TOKEN_LIFETIME_SEC) * 1000);
    this.issued.set(token, {
      entry: { token, project, config },
      record: { identity: id, project, config, issuedAt: new Date(now), expiresAt },
    });
    this.forgetEndedTokens(now);
    return { token, expiresAt };
  }

  /** The tokens issued so far, oldest first, without the tokens. */
  issuedTokens(): EmulatorIssuedToken[] {
    return [...this.issued.values()].map(({ record }) => ({
      ...record,
      issuedAt: new Date(record.issuedAt),
      expiresAt: new Date(record.expiresAt),
      ...(record.revokedAt !== undefined && { revokedAt: new Date(record.revokedAt) }),
    }));
  }

  findProject(project: string): ReadonlyMap<string, ConfigState> | undefined {
    return this.projects.get(project);
  }

  setSecrets(project: string, config: string, secrets: Readonly<Record<string, string>>): void {
    const entries = Object.entries(secrets);
    for (const [name, value] of entries) {
      assertSecret(`secrets[${JSON.stringify(name)}]`, name, value);
    }
    const state = this.configFor(project, config);
    state.secrets.clear();
    for (const [name, value] of entries) {
      state.secrets.set(name, value);
    }
  }

  setSecret(project: string, config: string, name: string, value: string): void {
    assertSecret(`secret ${JSON.stringify(name)}`, name, value);
    this.configFor(project, config).secrets.set(name, value);
  }

  deleteSecret(project: string, config: string, name: string): boolean {
    return this.projects.get(project)?.get(config)?.secrets.delete(name) ?? false;
  }

  addToken(entry: EmulatorTokenSeed): void {
    const token = parseTokenSeed('token entry', entry);
    if (this.tokens.has(token.token)) {
      throw seedError('token entry', 'duplicates a token the emulator already accepts');
    }
    this.tokens.set(token.token, token);
  }

  /** Revokes a seeded or an issued token; an issued one stays listed, marked revoked. */
  revokeToken(token: string, now: number = Date.now()): boolean {
    if (this.tokens.delete(token)) return true;
    const issued = this.issued.get(token);
    if (issued === undefined || issued.record.revokedAt !== undefined) return false;
    issued.record.revokedAt = new Date(now);
    return true;
  }

  /** Revokes every live token issued for `identity`; returns how many. */
  revokeIdentityTokens(identity: string, now: number): number {
    let count = 0;
    for (const { record } of this.issued.values()) {
      if (record.identity === identity && record.revokedAt === undefined) {
        record.revokedAt = new Date(now);
        count++;
      }
    }
    return count;
  }

  // A long-running emulator (a dev loop) must not grow without end: past the cap, the oldest
  // tokens that can no longer be used are forgotten.
  private forgetEndedTokens(now: number): void {
    if (this.issued.size <= MAX_ISSUED_TOKENS) return;
    for (const [token, { record }] of this.issued) {
      if (this.issued.size <= MAX_ISSUED_TOKENS) return;
      if (record.revokedAt !== undefined || record.expiresAt.getTime() <= now) this.issued.delete(token);
    }
  }

  /** The configs whose secrets (or existence) differ in `other`, as `[project, config]`. */
  changedConfigs(other: EmulatorStore): Array<[string, string]> {
    const changed: Array<[string, string]> = [];
    const names = new Set([...this.projects.keys(), ...other.projects.keys()]);
    for (const project of names) {
      const mine = this.projects.get(project);
      const theirs = other.projects.get(project);
      for (const config of new Set([...(mine?.keys() ?? []), ...(theirs?.keys() ?? [])])) {
        const a = mine?.get(config);
        const b = theirs?.get(config);
        const same =
          a !== undefined &&
          b !== undefined &&
          a.environment === b.environment &&
          a.secrets.size === b.secrets.size &&
          [...a.secrets].every(([name, value]) => b.secrets.get(name) === value);
        if (!same) changed.push([project, config]);
      }
    }
    return changed;
  }

  private configFor(project: string, config: string): ConfigState {
    if (project === '' || config === '') {
      throw seedError('project and config', 'must be non-empty names');
    }
    let configs = this.projects.get(project);
    if (configs === undefined) {
      configs = new Map();
      this.projects.set(project, configs);
    }
    let state = configs.get(config);
    if (state === undefined) {
      state = { environment: defaultEnvironment(config), secrets: new Map() };
      configs.set(config, state);
    }
    return state;
  }
}

function identityState(seed: EmulatorIdentitySeed): IdentityState {
  return {
    seed,
    ...(seed.publicKey !== undefined && {
      publicKey: identityPublicKey('identity publicKey', seed.publicKey),
    }),
  };
}
