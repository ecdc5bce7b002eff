// Shared jest environment of all packages. Jest runs tests in a vm context whose typed-array constructors differ from the main realm's.
// onnxruntime-node creates its output arrays in the main realm and onnxruntime-common (loaded in
// the vm context) checks `data instanceof Float32Array`, which then fails. Sharing the main
// realm's typed arrays with the test context makes it behave like a plain Node process.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array',
  'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array',
  'BigInt64Array', 'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
