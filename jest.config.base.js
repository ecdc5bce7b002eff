// Shared jest settings: TypeScript through @swc/jest as native ESM, and @phys/* resolved to
// sources so tests never depend on a previous build.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

/** @param {string} packageDir */
export default function jestConfig(packageDir) {
  return {
    rootDir: packageDir,
    // Node environment sharing the main realm's typed arrays (onnxruntime-node needs it).
    testEnvironment: path.join(root, 'jest.environment.cjs'),
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
      ],
    },
    moduleNameMapper: {
      '^@phys/([a-z-]+)$': path.join(root, 'packages/$1/src/index.ts'),
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    testTimeout: 120000,
  };
}
