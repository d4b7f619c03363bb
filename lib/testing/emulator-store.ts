import {
  assertSecret,
  defaultEnvironment,
  parseTokenSeed,
  seedError,
  type EmulatorSeed,
  type EmulatorTokenSeed,
} from './emulator-seed.js';

/** Live state of one config; read on every request so mutations apply to the next one. */
export interface ConfigState {
  readonly environment: string;
  readonly secrets: Map<string, string>;
}

/** Mutable projects/configs/tokens behind the emulator. Maps avoid prototype-key surprises. */
export class EmulatorStore {
  private readonly projects = new Map<string, Map<string, ConfigState>>();
  private readonly tokens = new Map<string, EmulatorTokenSeed>();

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

  /** Every accepted token, so the request log can scrub them. */
  knownTokens(): Iterable<string> {
    return this.tokens.keys();
  }

  findToken(token: string): EmulatorTokenSeed | undefined {
    return this.tokens.get(token);
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

  revokeToken(token: string): boolean {
    return this.tokens.delete(token);
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
