import { defineConfig } from 'vitest/config';

// `npx vitest run` at the root runs every project; `npm test` goes through Nx instead.
export default defineConfig({
  test: { projects: ['libs/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'test/vitest.config.ts'] },
});
