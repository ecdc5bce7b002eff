import jestConfig from '../../jest.config.base.js';

export default {
  ...jestConfig(import.meta.dirname),
  // onnxruntime-node returns main-realm typed arrays; see test/ort-environment.cjs.
  testEnvironment: '<rootDir>/test/ort-environment.cjs',
};
