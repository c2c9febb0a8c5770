import root from './eslint.config.mjs';

/** Libraries: the root rules, plus no process state outside the CLI. Each library's eslint.config.mjs re-exports this. */
export default [
  ...root,
  {
    // Only the CLI touches process state (argv, exit codes, TTY).
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/testing.ts', 'src/testing/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use a seeded generator (createRng) instead.' },
        { object: 'process', property: 'exit', message: 'Only apps/cli decides exit codes.' },
        { object: 'process', property: 'exitCode', message: 'Only apps/cli decides exit codes.' },
        { object: 'process', property: 'argv', message: 'Only apps/cli reads argv.' },
      ],
    },
  },
];
