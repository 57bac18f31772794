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
  // NestJS 12 ships ESM only: compile it to CommonJS for jest like our own TypeScript.
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs)/)'],
  moduleNameMapper: {
    '^@kami/(code-format|contracts|platform|pricing|reservation|testing|tracing)$': path.join(__dirname, 'libs/$1/src/index.ts'),
  },
  setupFiles: [path.join(__dirname, 'libs/testing/src/setup/jest-setup.ts')],
  // Hooks that start a whole system wait for every process to be ready (up to 150 s on a loaded machine).
  testTimeout: 180_000,
  // Service shells without tests yet still run the target; a project with tests fails on any failure.
  passWithNoTests: true,
  ...overrides,
});
