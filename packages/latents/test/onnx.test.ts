// The shipped DisCo-Diff example models (examples/models/disco, trained by tools/disco/train.py)
// through this package's ONNX loaders: signatures, metadata, errors, and the prior/encoder pair.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhiloxRng, ShapeError, Tensor, ValueError } from '@phys/tensor';
import { ModelSignatureError, loadDenoiser } from '@phys/onnx';
import { LatentModelError, Latents, TabularPrior, encodeLatents, latentSpace, priorLogLikelihood, samplePrior } from '../src/index.js';
import { OnnxLatentPrior, loadLatentDenoiser, loadLatentEncoder } from '../src/onnx.js';
import { chiSquareTest } from '../../../test-support/chi2.js';
import { ringMixture } from './ring.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/models/disco');
const file = (name: string): string => path.join(dir, name);

describe('loadLatentDenoiser', () => {
  it('reads the latent input and space from the metadata and runs D(x; sigma, z)', async () => {
    const d = await loadLatentDenoiser(file('disco-denoiser.onnx'));
    try {
      expect(d.space).toEqual({ m: 2, k: 4 });
      expect(d.info.names).toEqual({ x: 'x', sigma: 'sigma', latents: 'z', output: 'denoised' });
      expect(d.info.nullIndex).toBe(4);
      expect(d.info.sampleShape).toEqual([2]);
      const x = Tensor.from([0.1, 0.2, 3, -1, 0, 0], [3, 2]);
      const sigma = Float64Array.from([0.002, 1, 80]);
      const z = Latents.from(d.space, [[0, 1], [2, 3], [4, 4]]);
      const out = await d(x, sigma, z);
      expect(out.shape).toEqual([3, 2]);
      // At sigma = 0.002 the denoiser is (nearly) the identity: c_skip ~ 1, c_out ~ 0.002.
      expect(Math.abs(out.data[0]! - 0.1)).toBeLessThan(0.01);
      // Different latents change the output at high noise.
      const other = await d(x, sigma, Latents.from(d.space, [[0, 1], [2, 3], [1, 0]]));
      expect(Math.abs(other.data[4]! - out.data[4]!) + Math.abs(other.data[5]! - out.data[5]!)).toBeGreaterThan(0.1);
    } finally {
      await d.dispose();
    }
  });

  it('rejects a model without a latent input, latents of the wrong m, and a missing cond', async () => {
    await expect(loadLatentDenoiser(file('baseline-denoiser.onnx'))).rejects.toThrow(LatentModelError);
    await expect(loadLatentDenoiser(file('baseline-denoiser.onnx'))).rejects.toThrow(/has no latent input/);
    await expect(loadLatentDenoiser(file('baseline-denoiser.onnx'), { inputLatents: 'z', m: 2, k: 4 })).rejects.toThrow(/no input 'z'/);
    await expect(loadLatentDenoiser(file('disco-denoiser.onnx'), { m: 3 })).rejects.toThrow(/declares shape \[batch, 2\], expected \[B, 3\]/);
    // The plain loader of @phys/onnx refuses the latent model (its z input would go unfed).
    await expect(loadDenoiser(file('disco-denoiser.onnx'))).rejects.toThrow(ModelSignatureError);
    const d = await loadLatentDenoiser(file('disco-denoiser.onnx'));
    try {
      const x = Tensor.zeros([2, 2]);
      const s = Float64Array.from([1, 1]);
      await expect(d(x, s, Latents.from(latentSpace(3, 4), [[0, 1, 2], [0, 1, 2]]))).rejects.toThrow(ShapeError);
      await expect(d(x, s, Latents.from(latentSpace(3, 4), [[0, 1, 2], [0, 1, 2]]))).rejects.toThrow(/m = 2, k = 4/);
      await expect(d(x, s, Latents.from(d.space, [[0, 1]]))).rejects.toThrow(/2 latent rows/);
      await expect(d(x, s)).rejects.toThrow(/Latents.null/);
      expect(() => Latents.from(d.space, [[0, 5]])).toThrow(/z\[0\]\[1\]: expected an integer in \[0, 4\)/);
      await expect(d(Tensor.zeros([2, 3]), s, Latents.null(d.space, 2))).rejects.toThrow(ShapeError);
    } finally {
      await d.dispose();
    }
  });
});

describe('OnnxLatentPrior and the encoder (thesis Alg. 6)', () => {
  it('is causal, normalises, and agrees with a tabular prior fitted to encoded data', async () => {
    const prior = await OnnxLatentPrior.load(file('disco-prior.onnx'));
    const encoder = await loadLatentEncoder(file('disco-encoder.onnx'));
    try {
      expect(prior.space).toEqual({ m: 2, k: 4 });
      expect(encoder.space).toEqual({ m: 2, k: 4 });
      // Causality: position 0 ignores z_0 and z_1; position 1 ignores z_1.
      const a = await prior.sequenceLogits(Latents.from(prior.space, [[0, 0], [3, 2]]));
      for (let j = 0; j < 4; j++) expect(a.data[j]).toBeCloseTo(a.data[8 + j]!, 6);
      const b = await prior.logits(Latents.from(prior.space, [[1, 0], [1, 3]]), 1);
      for (let j = 0; j < 4; j++) expect(b.data[j]).toBeCloseTo(b.data[4 + j]!, 6);
      // The joint over all 16 sequences sums to 1.
      const all = Latents.from(prior.space, Array.from({ length: 16 }, (_, s) => [s >> 2, s & 3]));
      const joint = Array.from(await priorLogLikelihood(prior, all), Math.exp);
      expect(joint.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);

      // Stage 2 in TS: encode fresh data at Gumbel tau = 0.01, fit a tabular prior, compare.
      const { x, mode } = ringMixture(4000, new PhiloxRng(77));
      const z = await encodeLatents(encoder, x, { rng: new PhiloxRng(78), tau: 0.01 });
      const tab = TabularPrior.fit(z, { smoothing: 0.5 });
      const tabJoint = Array.from(await priorLogLikelihood(tab, all), Math.exp);
      let tv = 0;
      for (let s = 0; s < 16; s++) tv += 0.5 * Math.abs(tabJoint[s]! - joint[s]!);
      expect(tv).toBeLessThan(0.05);
      // The encoder separates the 8 modes: each used latent sequence belongs to one mode.
      const seqOfMode = new Map<number, Map<number, number>>();
      for (let r = 0; r < z.rows; r++) {
        const seq = z.get(r, 0) * 4 + z.get(r, 1);
        const m = seqOfMode.get(seq) ?? new Map<number, number>();
        m.set(mode[r]!, (m.get(mode[r]!) ?? 0) + 1);
        seqOfMode.set(seq, m);
      }
      let pure = 0;
      for (const m of seqOfMode.values()) pure += Math.max(...m.values());
      expect(pure / z.rows).toBeGreaterThan(0.98);
      // Ancestral samples of the ONNX prior follow its own joint (chi-square, seed 3).
      const zs = await samplePrior(prior, 4000, new PhiloxRng(3));
      const counts = new Array<number>(16).fill(0);
      for (let r = 0; r < zs.rows; r++) counts[zs.get(r, 0) * 4 + zs.get(r, 1)]!++;
      const expected = joint.map((p) => p / joint.reduce((x, y) => x + y, 0));
      expect(chiSquareTest(counts, expected).p).toBeGreaterThan(1e-3);
    } finally {
      await prior.dispose();
      await encoder.dispose();
    }
  });

  it('rejects wrong files, wrong spaces and null latents', async () => {
    await expect(OnnxLatentPrior.load(file('disco-denoiser.onnx'))).rejects.toThrow(/phys.kind is 'denoiser', expected 'latent-prior'/);
    await expect(OnnxLatentPrior.load(file('disco-prior.onnx'), { k: 5 })).rejects.toThrow(LatentModelError);
    await expect(loadLatentEncoder(file('disco-prior.onnx'))).rejects.toThrow(/expected 'latent-encoder'/);
    const prior = await OnnxLatentPrior.load(file('disco-prior.onnx'));
    try {
      await expect(prior.sequenceLogits(Latents.null(prior.space, 1))).rejects.toThrow(/no null latent/);
      await expect(prior.logits(Latents.zeros(latentSpace(3, 4), 1), 0)).rejects.toThrow(ShapeError);
      await expect(prior.logits(Latents.zeros(prior.space, 1), 2)).rejects.toThrow(ValueError);
    } finally {
      await prior.dispose();
    }
  });
});
