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
    // The backend of the run (PHYS_BACKEND=cpu|wasm, default cpu): set before each test file.
    setupFiles: [path.join(root, 'test-support/backend.ts')],
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
      ],
    },
    moduleNameMapper: {
      '^@phys/([a-z-]+)$': path.join(root, 'packages/$1/src/index.ts'),
      // Subpath entries (`@phys/metrics/node`, `@phys/latents/onnx`) are source files of the same name.
      '^@phys/([a-z-]+)/([a-z-]+)$': path.join(root, 'packages/$1/src/$2.ts'),
      // @phys/tensor's host module ("imports" of its package.json, `node` condition), from source
      '^#tensor-platform$': path.join(root, 'packages/tensor/src/platform/node.ts'),
      // @phys/onnx's runtime host ("imports", default condition: onnxruntime-node), from source
      '^#onnx-platform$': path.join(root, 'packages/onnx/src/platform/node.ts'),
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    testTimeout: 120000,
  };
}
