import { Tensor, ValueError } from '@phys/tensor';
import { edmSchedule } from '@phys/kernels';
import { BrownianTreeNoise, dpmpp2mSdeSample } from '../src/index.js';
import { mixtureDenoiser } from './mixture.js';

describe('BrownianTreeNoise (k-diffusion BrownianTreeNoiseSampler semantics on Philox)', () => {
  const tree = new BrownianTreeNoise({ seed: 7, sigmaMin: 0.002, sigmaMax: 80 });

  it('is one path: an increment equals the sum of the increments of any finer grid (to rounding), whatever the step count', () => {
    const shape = [3, 5];
    const coarse = [80, 10, 1, 0.1, 0.002];
    const fine = Array.from(edmSchedule({ steps: 37, sigmaMin: 0.002, sigmaMax: 80 }).slice(0, -1));
    const grid = [...new Set([...coarse, ...fine])].sort((a, b) => b - a);
    const w = (a: number, b: number): Float64Array => {
      const z = tree.draw(a, b, shape, 'float64');
      return z.data.map((v) => v * Math.sqrt(Math.abs(b - a))) as Float64Array;
    };
    for (let i = 0; i + 1 < coarse.length; i++) {
      const direct = w(coarse[i]!, coarse[i + 1]!);
      const sum = new Float64Array(direct.length);
      const inside = grid.filter((s) => s <= coarse[i]! && s >= coarse[i + 1]!);
      for (let j = 0; j + 1 < inside.length; j++) w(inside[j]!, inside[j + 1]!).forEach((v, k) => { sum[k] = sum[k]! + v; });
      direct.forEach((v, k) => { expect(Math.abs(v - sum[k]!)).toBeLessThan(1e-11 * Math.sqrt(80)); });
    }
    // W(sigmaMin) = 0 and W is a function of sigma: W(b) - W(a) = at(b) - at(a).
    expect(Array.from(tree.at(0.002, shape).data)).toEqual(new Array(15).fill(0));
    const inc = w(1, 0.1);
    const diff = tree.at(0.1, shape).data.map((v, k) => v - tree.at(1, shape).data[k]!);
    inc.forEach((v, k) => { expect(v).toBeCloseTo(diff[k]!, 12); });
  });

  it('sample i does not depend on the batch size (sampleOffset for shards)', () => {
    const big = tree.draw(5, 2, [6, 4], 'float64');
    const shard = new BrownianTreeNoise({ seed: 7, sigmaMin: 0.002, sigmaMax: 80, sampleOffset: 4 }).draw(5, 2, [2, 4], 'float64');
    expect(Array.from(shard.data)).toEqual(Array.from(big.data.slice(16)));
    const small = tree.draw(5, 2, [1, 4], 'float64');
    expect(Array.from(small.data)).toEqual(Array.from(big.data.slice(0, 4)));
  });

  it('normalised increments are standard normal and independent across disjoint steps (n = 20000 values, 5 sigma bounds)', () => {
    const n = 20000;
    const levels = [80, 20, 3, 0.7, 0.05, 0.002];
    const incs = levels.slice(0, -1).map((a, i) => Array.from(tree.draw(a, levels[i + 1]!, [n / 10, 10], 'float64').data));
    for (const z of incs) {
      const mean = z.reduce((s: number, v) => s + v, 0) / n;
      const variance = z.reduce((s: number, v) => s + (v - mean) ** 2, 0) / n;
      expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    }
    for (let i = 0; i + 1 < incs.length; i++) {
      const corr = incs[i]!.reduce((s: number, v, k) => s + v * incs[i + 1]![k]!, 0) / n;
      expect(Math.abs(corr)).toBeLessThan(5 / Math.sqrt(n));
    }
  });

  it('drives the SDE samplers: on one path, 40, 80, 160 steps converge pathwise (Gaussian data, a linear SDE)', async () => {
    const d = mixtureDenoiser({ means: [[0.5, -0.5]], weights: [1], std: 0.3 });
    const x0 = Tensor.from(Array.from({ length: 16 }, (_, i) => 20 * Math.sin(i + 1)), [8, 2], 'float64');
    const run = async (steps: number): Promise<Float64Array> => {
      const noise = new BrownianTreeNoise({ seed: 3, sigmaMin: 0.002, sigmaMax: 20 });
      return (await dpmpp2mSdeSample(d, x0, edmSchedule({ steps, sigmaMax: 20 }), { noise })).x.data as Float64Array;
    };
    const [a, b, c] = [await run(40), await run(80), await run(160)];
    const err = (u: Float64Array, v: Float64Array): number => Math.max(...u.map((x, i) => Math.abs(x - v[i]!)));
    // Pathwise (strong) convergence: refining the grid on one Brownian path shrinks the change.
    expect(err(b, c)).toBeLessThan(err(a, c));
    expect(err(b, c)).toBeLessThan(0.05);
  });

  it('rejects levels outside its interval and bad settings with ValueError', () => {
    expect(() => tree.draw(100, 1, [1, 1], 'float64')).toThrow(ValueError);
    expect(() => tree.draw(1, 1, [1, 1], 'float64')).toThrow(ValueError);
    expect(() => new BrownianTreeNoise({ seed: 1, sigmaMin: 2, sigmaMax: 1 })).toThrow(ValueError);
    expect(() => new BrownianTreeNoise({ seed: 1, sigmaMin: 0.1, sigmaMax: 1, depth: 40 })).toThrow(ValueError);
  });
});
