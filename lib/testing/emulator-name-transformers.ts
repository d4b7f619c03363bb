/**
 * Every `name_transformer` Doppler's OpenAPI document lists for the download. The rules follow
 * Doppler's own descriptions and tests: the DopplerHQ/cli name transformer tests (`upper-camel`,
 * `dotnet`) and the DopplerHQ/kubernetes-operator table (`API_KEY` -> `apiKey`, `ApiKey`,
 * `api_key`, `TF_VAR_api_key`, `api-key`; `SMTP__USER_NAME` -> `Smtp__UserName` for `dotnet-env`).
 */
export const NAME_TRANSFORMERS = [
  'camel',
  'upper-camel',
  'lower-snake',
  'tf-var',
  'dotnet',
  'dotnet-env',
  'lower-kebab',
] as const;

/** One of {@link NAME_TRANSFORMERS}. */
export type EmulatorNameTransformer = (typeof NAME_TRANSFORMERS)[number];

/** Narrows a query parameter value. */
export function isNameTransformer(value: string): value is EmulatorNameTransformer {
  return (NAME_TRANSFORMERS as readonly string[]).includes(value);
}

/**
 * Renames one secret as Doppler does for `name_transformer`. Managed names (`DOPPLER_CONFIG`) are
 * renamed too, as Doppler does (`tf-var` gives `TF_VAR_doppler_config`).
 *
 * @example
 * transformSecretName('API_KEY', 'camel'); // 'apiKey'
 * transformSecretName('SMTP__USER_NAME', 'dotnet'); // 'Smtp:UserName'
 */
export function transformSecretName(name: string, transformer: EmulatorNameTransformer): string {
  switch (transformer) {
    case 'camel':
      return lowerFirst(upperCamel(name));
    case 'upper-camel':
      return upperCamel(name);
    case 'lower-snake':
      return name.toLowerCase();
    case 'tf-var':
      return `TF_VAR_${name.toLowerCase()}`;
    case 'dotnet':
      // .NET configuration reads `:` as the section separator, which Doppler writes as `__`.
      return name.split('__').map(upperCamel).join(':');
    case 'dotnet-env':
      // Environment variables cannot hold `:`, so .NET reads `__` there instead: the sections stay.
      return name.split('__').map(upperCamel).join('__');
    case 'lower-kebab':
      return name.toLowerCase().replace(/_/g, '-');
  }
}

// Each `_`-separated word capitalised, empty words (from `__` or a trailing `_`) dropped.
function upperCamel(name: string): string {
  return name
    .split('_')
    .filter((word) => word !== '')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
    .join('');
}

function lowerFirst(word: string): string {
  return word.charAt(0).toLowerCase() + word.slice(1);
}
