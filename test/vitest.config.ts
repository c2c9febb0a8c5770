import { medsegVitestConfig } from '../vitest.shared.js';

export default medsegVitestConfig({ include: ['**/*.test.ts'], testTimeout: 600_000 });
