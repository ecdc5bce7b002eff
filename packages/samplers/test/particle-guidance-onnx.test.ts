// Particle guidance with ONNX models through @phys/onnx (fixtures made by test/fixtures/make-pg-onnx.py):
// a classifier's `features` extractor in featureKernel (no VJP: the finite-difference fallback runs
// through onnxruntime) against the exact VJP of the same map, and a learned-potential gradient model
// (Sec. 6.5) loaded with loadDenoiser(..., { parameterization: 'edm' }) against the fixed potential it
// encodes. The models compute in float32: tolerances 2e-3 (finite differences) and 1e-5.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhiloxRng, Tensor } from '@phys/tensor';
import { loadClassifier, loadDenoiser } from '@phys/onnx';
import { expectClose } from '../../../test-support/golden.js';
import { featureKernel, learnedPotentialGuidance, particleGuidance, rbfKernel, thesisScale, withParticleGuidance } from '../src/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const W = [0.5, -1.2, 0.3, 0.8, 0.1, -0.4, -0.6, 0.9, 1.1, 0.2, -0.3, 0.7];
const b = [0.1, -0.2, 0.05, 0.3];

function tanhFeatures(u: Tensor): Tensor {
  const out = Tensor.zeros([u.rows, 4], 'float64');
  for (let i = 0; i < u.rows; i++)
    for (let f = 0; f < 4; f++) {
      let s = b[f]!;
      for (let k = 0; k < 3; k++) s += W[f * 3 + k]! * u.data[i * 3 + k]!;
      out.data[i * 4 + f] = Math.tanh(s);
    }
  return out;
}

test('feature kernel with an ONNX feature extractor: finite differences through onnxruntime match the exact VJP', async () => {
  const clf = await loadClassifier(path.join(fixtures, 'pg-features.onnx'));
  try {
    const x = new PhiloxRng(5).normal([5, 3], 'float64');
    const x0 = new PhiloxRng(6).normal([5, 3], 'float64');
    const sigma = new Float64Array(5).fill(4);
    const fOnnx = await clf.features(x0);
    expectClose(fOnnx.data, tanhFeatures(x0).data, 1e-6, 1e-6, 'onnx features');
    const vjp = (u: Tensor, v: Tensor): Promise<Tensor> => {
      const f = tanhFeatures(u);
      const out = Tensor.zeros(u.shape, 'float64');
      for (let i = 0; i < u.rows; i++)
        for (let ff = 0; ff < 4; ff++) {
          const c = v.data[i * 4 + ff]! * (1 - f.data[i * 4 + ff]! ** 2);
          for (let k = 0; k < 3; k++) out.data[i * 3 + k]! += W[ff * 3 + k]! * c;
        }
      return Promise.resolve(out);
    };
    const exact = await featureKernel({ features: (u) => Promise.resolve(tanhFeatures(u)), vjp }).evaluate(x, { sigma, denoised: x0 });
    const viaOnnx = await featureKernel({ features: clf.features, finiteDifference: { step: 1e-2 } }).evaluate(x, { sigma, denoised: x0 });
    const scale = Math.max(...Array.from(exact.repulsion.data, Math.abs));
    expectClose(viaOnnx.repulsion.data, exact.repulsion.data, 2e-3, 2e-3 * scale, 'repulsion');
    // and as a guided denoiser: D' - D = sigma^2 alpha J^T R^f
    const denoiser = (): Promise<Tensor> => Promise.resolve(x0.clone());
    const guided = withParticleGuidance(denoiser, particleGuidance({ scale: 0.5, kernel: featureKernel({ features: clf.features }) }));
    const out = await guided(x, sigma);
    expectClose(
      Array.from(out.data, (v, k) => v - x0.data[k]!),
      Array.from(exact.repulsion.data, (r) => 16 * 0.5 * r),
      2e-3,
      2e-3 * 8 * scale,
      "D' - D",
    );
  } finally {
    await clf.dispose();
  }
});

test('learned potential (Sec. 6.5) from an ONNX gradient model loaded as a raw edm "denoiser"', async () => {
  const model = await loadDenoiser(path.join(fixtures, 'pg-potential-grad.onnx'), { parameterization: 'edm', output: 'grad', imageShape: [2], chunkSize: 1024 });
  try {
    const x = new PhiloxRng(7).normal([6, 2], 'float64');
    const d = new PhiloxRng(8).normal([6, 2], 'float64');
    const sigma = Float64Array.of(0.5, 1, 2, 3, 4, 5);
    const learned = await learnedPotentialGuidance({ gradient: (u, s) => model(u, s) }).gradient(x, sigma, d);
    const fixed = await particleGuidance({ scale: thesisScale(0.7), kernel: rbfKernel({ bandwidth: 1.7 }) }).gradient(x, sigma, d);
    const scale = Math.max(...Array.from(fixed!.data, Math.abs));
    expectClose(learned!.data, fixed!.data, 1e-5, 1e-5 * scale, 'grad log Phi');
  } finally {
    await model.dispose();
  }
});
