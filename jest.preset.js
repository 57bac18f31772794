// Shared jest settings: swc transform (decorator metadata on), @kami/* aliases, test tiers
// *.spec.ts (pure logic), *.int-spec.ts (real PostgreSQL/Redis/Kafka), *.e2e-spec.ts (through the gateway).
const path = require('node:path');
const fs = require('node:fs');

const swcrc = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));
delete swcrc.$schema;
delete swcrc.jsc.baseUrl;
delete swcrc.jsc.paths;

module.exports = (projectRoot, overrides = {}) => ({
  rootDir: path.join(__dirname, projectRoot),
  testEnvironment: 'node',
  testMatch: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  moduleNameMapper: {
    '^@kami/(contracts|platform|testing)$': path.join(__dirname, 'libs/$1/src/index.ts'),
  },
  setupFiles: [path.join(__dirname, 'libs/testing/src/setup/jest-setup.ts')],
  testTimeout: 60_000,
  ...overrides,
});
