import nx from '@nx/eslint-plugin';

// The arrows point one way: apps → modules → components → data libs → core.
// A component never imports another component; it talks through an interface or over the wire.
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/.nx', 'data/**', 'coverage/**'] },
  { files: ['**/*.js'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' } } },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:modules', 'type:core'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:core', 'type:data', 'type:workload'] },
            { sourceTag: 'type:tools', onlyDependOnLibsWithTags: ['type:core', 'type:data', 'type:workload'] },
            // The benchmarks' workload generators (tools/bench), shared with the e2e load run.
            { sourceTag: 'type:workload', onlyDependOnLibsWithTags: ['type:core', 'type:data', 'type:workload'] },
            { sourceTag: 'type:modules', onlyDependOnLibsWithTags: ['type:component', 'type:data', 'type:core'] },
            { sourceTag: 'type:component', onlyDependOnLibsWithTags: ['type:data', 'type:core'] },
            { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:data', 'type:core'] },
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // Non-null assertions mark invariants the type system cannot see (a map entry set just above).
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read environment variables only in the config loader (libs/core/config) or test helpers.',
        },
      ],
    },
  },
  {
    files: ['libs/core/config/**/*.ts', 'libs/core/testing/**/*.ts', '**/*.spec.ts', 'e2e/**/*.ts', 'tools/**/*.ts', 'libs/modules/src/main.ts', 'libs/modules/src/docs.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
];
