import nx from '@nx/eslint-plugin';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts'] },
  {
    files: ['**/*.ts'],
    rules: {
      // The arrows of design.md: eval never sees models, data and eval stay free of TensorFlow,
      // only the CLI composes everything.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: ['^.*/vitest\\.shared(\\.js)?$'],
          depConstraints: [
            { sourceTag: 'scope:data', onlyDependOnLibsWithTags: ['scope:data'], bannedExternalImports: ['@tensorflow/*'] },
            { sourceTag: 'scope:eval', onlyDependOnLibsWithTags: ['scope:eval', 'scope:data'], bannedExternalImports: ['@tensorflow/*'] },
            { sourceTag: 'scope:models', onlyDependOnLibsWithTags: ['scope:models', 'scope:data'] },
            { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:web', 'scope:data', 'scope:models'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:data', 'scope:eval', 'scope:models', 'scope:web'] },
            { sourceTag: 'scope:integration', onlyDependOnLibsWithTags: ['scope:data', 'scope:eval', 'scope:models', 'scope:web', 'scope:cli'] },
          ],
        },
      ],
      // Randomness must be seeded: every random draw goes through a seeded generator.
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use a seeded generator (createRng) instead.' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
];
