// Unit tests of the portal's pure helpers (money, CSV, JWT claims, error words): `*.spec.ts` under
// The browser tests in test/ (playwright-core driving Debian's Chromium) have their own config: test/jest.config.js.
module.exports = require('../../jest.preset')('apps/portal', { roots: ['<rootDir>/src'], testMatch: ['**/*.spec.ts'] });
