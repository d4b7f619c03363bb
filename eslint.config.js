import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      'no-control-regex': 'off',
      // Errors here deliberately drop their cause: an HTTP or JSON error quotes tokens and bodies.
      'preserve-caught-error': 'off',
    },
  },
  {
    // Nest modules are classes with decorators only; specs poke at values on purpose.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // The output capture wraps console on purpose.
      'no-console': 'off',
    },
  },
  {
    // Benchmarks measure what an app gets: the package's public entry points (nestjs-doppler, its
    // /testing, /health and /config), never lib/ internals or the build's files, and never a
    // patched library class, so a refactor inside lib/ cannot break or fool them.
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(lib|dist)(/|$)',
              message:
                'Benchmarks import the package (nestjs-doppler, nestjs-doppler/testing), not its files.',
            },
            {
              regex: '^nestjs-doppler/(?!(testing|health|config)$)',
              message:
                'Only the public entry points: nestjs-doppler, nestjs-doppler/testing, /health, /config.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          // esquery ends a regular expression at any '/', so the slash is written \u002F.
          selector:
            'ImportExpression[source.value=/(^|\\u002F)(lib|dist)(\\u002F|$)|^nestjs-doppler\\u002F(?!(testing|health|config)$)/]',
          message: 'Benchmarks import the public entry points only, dynamically too.',
        },
        {
          selector:
            "AssignmentExpression > MemberExpression.left MemberExpression[property.name='prototype']",
          message: 'Benchmarks measure the library as shipped: no patching of a class prototype.',
        },
        {
          selector:
            "CallExpression[callee.object.name='Object'] > MemberExpression.arguments[property.name='prototype']",
          message: 'Benchmarks measure the library as shipped: no patching of a class prototype.',
        },
      ],
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
