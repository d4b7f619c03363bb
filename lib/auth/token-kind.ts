/** The kinds of Doppler token, told apart by their prefix. */
export type DopplerTokenKind =
  'service' | 'service_account' | 'oidc' | 'personal' | 'cli' | 'scim' | 'audit' | 'unknown';

// Every prefix ends at its own dot, so none is the start of another (`dp.said.` is never
// read as `dp.sa.`); the order is only the order they are listed in messages.
const PREFIXES: ReadonlyArray<readonly [string, DopplerTokenKind]> = [
  ['dp.st.', 'service'],
  ['dp.sa.', 'service_account'],
  ['dp.said.', 'oidc'],
  ['dp.pt.', 'personal'],
  ['dp.ct.', 'cli'],
  ['dp.scim.', 'scim'],
  ['dp.audit.', 'audit'],
];

/** Every prefix Doppler gives its tokens (`dp.st.`, `dp.sa.`, ...), for messages. */
export const DOPPLER_TOKEN_PREFIXES: readonly string[] = PREFIXES.map(([prefix]) => prefix);

/** Tells a token's kind from its prefix, without looking at the rest of it. */
export function tokenKindOf(token: string): DopplerTokenKind {
  for (const [prefix, kind] of PREFIXES) {
    if (token.startsWith(prefix)) return kind;
  }
  return 'unknown';
}

/** The public prefix of a kind, safe to print (`dp.st.`), or a neutral word. */
export function tokenPrefixOf(kind: DopplerTokenKind): string {
  return PREFIXES.find(([, k]) => k === kind)?.[0] ?? 'unrecognised';
}

/** Token kinds that are bound to one project and config by Doppler itself. */
export function isScopedKind(kind: DopplerTokenKind): boolean {
  return kind === 'service';
}

/** Token kinds Doppler never lets read secrets. */
export function cannotReadSecrets(kind: DopplerTokenKind): boolean {
  return kind === 'scim' || kind === 'audit';
}
