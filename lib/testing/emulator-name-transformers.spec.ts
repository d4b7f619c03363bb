import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isNameTransformer,
  NAME_TRANSFORMERS,
  transformSecretName,
  type EmulatorNameTransformer,
} from './emulator-name-transformers.js';

// Rows from Doppler's own sources: DopplerHQ/cli pkg/utils/name_transformers_test.go (upper-camel,
// dotnet), the DopplerHQ/kubernetes-operator README table (API_KEY, SMTP__USER_NAME) and the CLI
// e2e test for tf-var (DOPPLER_CONFIG -> TF_VAR_doppler_config). The rest follow the same rules.
const ROWS: ReadonlyArray<readonly [EmulatorNameTransformer, string, string]> = [
  ['camel', 'API_KEY', 'apiKey'],
  ['camel', 'TEST', 'test'],
  ['camel', 'TEST_SECRET_NAME', 'testSecretName'],
  ['camel', 'TEST__SECRET', 'testSecret'],
  ['upper-camel', 'API_KEY', 'ApiKey'],
  ['upper-camel', 'TEST', 'Test'],
  ['upper-camel', 'TEST_', 'Test'],
  ['upper-camel', 'TEST_SECRET', 'TestSecret'],
  ['upper-camel', 'TEST_SECRET_NAME', 'TestSecretName'],
  ['upper-camel', 'TEST__SECRET', 'TestSecret'],
  ['upper-camel', 'OAUTH2_CLIENT_ID', 'Oauth2ClientId'],
  ['lower-snake', 'API_KEY', 'api_key'],
  ['lower-snake', 'TEST__SECRET', 'test__secret'],
  ['tf-var', 'API_KEY', 'TF_VAR_api_key'],
  ['tf-var', 'DOPPLER_CONFIG', 'TF_VAR_doppler_config'],
  ['dotnet', 'TEST', 'Test'],
  ['dotnet', 'TEST_', 'Test'],
  ['dotnet', 'TEST_SECRET', 'TestSecret'],
  ['dotnet', 'TEST_SECRET_NAME', 'TestSecretName'],
  ['dotnet', 'TEST__SECRET', 'Test:Secret'],
  ['dotnet', 'SMTP__USER_NAME', 'Smtp:UserName'],
  ['dotnet-env', 'SMTP__USER_NAME', 'Smtp__UserName'],
  ['dotnet-env', 'API_KEY', 'ApiKey'],
  ['lower-kebab', 'API_KEY', 'api-key'],
  ['lower-kebab', 'TEST__SECRET', 'test--secret'],
];

describe('name transformers', () => {
  it('lists the seven transformers of the OpenAPI document, and only those', () => {
    expect([...NAME_TRANSFORMERS].sort()).toEqual(
      ['camel', 'dotnet', 'dotnet-env', 'lower-kebab', 'lower-snake', 'tf-var', 'upper-camel'].sort(),
    );
    expect(isNameTransformer('camel')).toBe(true);
    expect(isNameTransformer('Camel')).toBe(false);
    expect(isNameTransformer('snake')).toBe(false);
  });

  it.each(ROWS)('%s: %s -> %s', (transformer, name, expected) => {
    expect(transformSecretName(name, transformer)).toBe(expected);
  });

  it('covers every transformer in the table', () => {
    expect(new Set(ROWS.map(([transformer]) => transformer))).toEqual(new Set(NAME_TRANSFORMERS));
  });
});

// Doppler secret names: upper-case words of letters and digits, starting with a letter, joined by
// one or two underscores (two is the .NET section separator).
const word = fc.stringMatching(/^[A-Z0-9]{1,6}$/);
const secretName = fc
  .tuple(
    fc.stringMatching(/^[A-Z][A-Z0-9]{0,5}$/),
    fc.array(fc.tuple(fc.constantFrom('_', '__'), word), { maxLength: 4 }),
  )
  .map(([first, rest]) => first + rest.map(([separator, part]) => separator + part).join(''));

// What each target accepts: camel cases as JS/Java/C# identifiers, the snake and kebab cases as
// lower-case keys, tf-var as Terraform's TF_VAR_<variable>, dotnet as `:`-separated config
// sections, dotnet-env as an environment variable name.
const VALID_FOR_TARGET: Readonly<Record<EmulatorNameTransformer, RegExp>> = {
  camel: /^[a-z][a-zA-Z0-9]*$/,
  'upper-camel': /^[A-Z][a-zA-Z0-9]*$/,
  'lower-snake': /^[a-z][a-z0-9_]*$/,
  'tf-var': /^TF_VAR_[a-z][a-z0-9_]*$/,
  dotnet: /^[A-Z][a-zA-Z0-9]*(:[A-Za-z0-9]+)*$/,
  'dotnet-env': /^[A-Z][a-zA-Z0-9]*(__[A-Za-z0-9]+)*$/,
  'lower-kebab': /^[a-z][a-z0-9-]*$/,
};

describe('name transformer properties', () => {
  it.each(NAME_TRANSFORMERS)('%s gives a valid name for its target, the same every time', (transformer) => {
    fc.assert(
      fc.property(secretName, (name) => {
        const once = transformSecretName(name, transformer);
        expect(once).toMatch(VALID_FOR_TARGET[transformer]);
        expect(transformSecretName(name, transformer)).toBe(once);
      }),
    );
  });

  it('lower-snake, tf-var and lower-kebab lose nothing: the name comes back', () => {
    fc.assert(
      fc.property(secretName, (name) => {
        expect(transformSecretName(name, 'lower-snake').toUpperCase()).toBe(name);
        expect(transformSecretName(name, 'tf-var').slice('TF_VAR_'.length).toUpperCase()).toBe(name);
        expect(transformSecretName(name, 'lower-kebab').replace(/-/g, '_').toUpperCase()).toBe(name);
      }),
    );
  });

  it('the camel cases differ only in their first letter; dotnet and dotnet-env only in the separator', () => {
    fc.assert(
      fc.property(secretName, (name) => {
        const upper = transformSecretName(name, 'upper-camel');
        expect(transformSecretName(name, 'camel')).toBe(upper.charAt(0).toLowerCase() + upper.slice(1));
        expect(transformSecretName(name, 'dotnet').split(':')).toEqual(
          transformSecretName(name, 'dotnet-env').split('__'),
        );
        expect(transformSecretName(name, 'dotnet').split(':')).toHaveLength(name.split('__').length);
      }),
    );
  });
});
