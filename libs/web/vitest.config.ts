import { medsegVitestConfig } from '../../vitest.shared.js';

export default medsegVitestConfig();
