import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of sibling libraries (the `@medseg/source` export condition),
// so no build is needed before `vitest`; the CLI's end-to-end tests spawn the built bin instead.
export function medsegVitestConfig(options: { include?: string[]; testTimeout?: number } = {}) {
  const conditions = ['@medseg/source', 'node', 'import', 'module', 'default'];
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['node'] } },
    test: {
      include: options.include ?? ['src/**/*.test.ts'],
      pool: 'forks',
      maxWorkers: 2,
      testTimeout: options.testTimeout ?? 60_000,
      hookTimeout: 120_000,
    },
  });
}
