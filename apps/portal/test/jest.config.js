// The portal's browser tests: the real system (startSystem), the built portal served by the real
// gateway, Debian's Chromium driven by playwright-core (libs/testing/src/browser.ts). One file at a
// time: each starts a whole system and a browser. `nx run portal:test` builds the portal first
// (dependsOn build); run alone, a test file builds it itself.
module.exports = require('../../../jest.preset')('apps/portal', {
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.e2e-spec.ts'],
  testTimeout: 120_000,
  maxWorkers: 1,
});
