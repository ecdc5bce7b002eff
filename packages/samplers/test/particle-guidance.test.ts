// Particle guidance kernels, scalings and edge rules: gradients against central differences of the
// potential (thesis Eq. 6.4: g = grad log Phi with log Phi = -(alpha/2) sum_{i,j} k), periodic and
// invariant kernels (App. B.4.2), feature kernels (exact VJP vs the finite-difference fallback),
// learned potentials (Sec. 6.5), n = 1 and n = 2. Float64 throughout.
import { PhiloxRng, Tensor, ValueError, ShapeError, type Denoiser } from '@phys/tensor';
import { expectClose } from '../../../test-support/golden.js';
import {
  featureKernel,
  gatedScale,
  learnedPotentialGuidance,
  particleGuidance,
  permutationAction,
  rbfBandwidth,
  rbfKernel,
  rbfRepulsion,
  referenceScale,
  svgdGuidance,
  thesisScale,
  userKernel,
  withParticleGuidance,
  type GuidanceContext,
  type PairKernelFunction,
} from '../src/index.js';

const rng = new PhiloxRng(2024);
const randn = (shape: number[], scale = 1): Tensor => {
  const t = rng.normal(shape, 'float64');
  for (let k = 0; k < t.size; k++) t.data[k]! *= scale;
  return t;
};
const sigmas = (n: number, s: number): Float64Array => new Float64Array(n).fill(s);
const ctx = (x: Tensor, s: number, denoised = x): GuidanceContext => ({ sigma: sigmas(x.rows, s), denoised });

/** sum_{i,j} exp(-|x_i - x_j|^2 / h) with a fixed h. */
function pairSum(x: Float64Array, n: number, d: number, h: number): number {
  let s = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let d2 = 0;
      for (let k = 0; k < d; k++) d2 += (x[i * d + k]! - x[j * d + k]!) ** 2;
      s += Math.exp(-d2 / h);
    }
  return s;
}

/** Central-difference gradient of f at x (flat). */
function numGrad(f: (x: Float64Array) => number, x: Float64Array, eps = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  const y = x.slice();
  for (let k = 0; k < x.length; k++) {
    y[k] = x[k]! + eps;
    const up = f(y);
    y[k] = x[k]! - eps;
    const down = f(y);
    y[k] = x[k]!;
    g[k] = (up - down) / (2 * eps);
  }
  return g;
}

describe('RBF kernel', () => {
  test('repulsion R = -grad_{x_i} sum_j k(x_i, x_j) = grad of -(1/2) sum_{i,j} k (fixed h), by central differences', () => {
    const x = randn([5, 3]);
    const h = 2.3;
    const { repulsion, weights } = rbfRepulsion(x, 1, { bandwidth: h });
    const g = numGrad((y) => -0.5 * pairSum(y, 5, 3, h), x.data as Float64Array);
    expectClose(repulsion.data, g, 1e-7, 1e-9, 'repulsion');
    for (let i = 0; i < 5; i++) expect(weights.data[i * 5 + i]).toBe(1);
  });

  test('median rule: lower median over j != i, divided by log(n - 1); SVGD rule: self included, log n', () => {
    const x = Tensor.from([0, 1, 3, 7, 15], [5, 1], 'float64');
    const d = rbfRepulsion(x, 1);
    // particle 0: distances 1, 3, 7, 15 -> lower median 3 -> 9 / log 4
    expect(d.bandwidth[0]).toBeCloseTo(9 / Math.log(4), 14);
    // particle 2 (at 3): distances 3, 2, 4, 12 -> sorted 2, 3, 4, 12 -> 3
    expect(d.bandwidth[2]).toBeCloseTo(9 / Math.log(4), 14);
    const s = rbfBandwidth(d.sqDist, 1, { bandwidth: 'median-svgd' });
    // particle 0 with itself: 0, 1, 3, 7, 15 -> median 3 -> 9 / log 5
    expect(s[0]).toBeCloseTo(9 / Math.log(5), 14);
  });

  test('bandwidth as a function of sigma uses each particle\'s own sigma', () => {
    const x = randn([3, 2]);
    const b = rbfRepulsion(x, Float64Array.of(1, 2, 3), { bandwidth: (s) => s * s }).bandwidth;
    expect(Array.from(b)).toEqual([1, 4, 9]);
  });

  test('the general (explicit-difference) path with a never-nearer action equals the backend path', () => {
    const x = randn([6, 4]);
    const a = rbfRepulsion(x, 1);
    const b = rbfRepulsion(x, 1, { actions: [(r) => r.map((v) => v + 1000)] });
    expectClose(b.bandwidth, a.bandwidth, 1e-12, 0, 'h');
    expectClose(b.weights.data, a.weights.data, 1e-12, 1e-15, 'W');
    expectClose(b.repulsion.data, a.repulsion.data, 1e-10, 1e-12, 'R');
  });

  test('periodic differences wrap to [-p/2, p/2): angles near +-pi are close', () => {
    const x = Tensor.from([Math.PI - 0.1, -Math.PI + 0.1, 0], [3, 1], 'float64');
    const { sqDist, repulsion } = rbfRepulsion(x, 1, { bandwidth: 1, period: 2 * Math.PI });
    expect(sqDist.data[1]).toBeCloseTo(0.04, 12);
    // particle 0 is pushed away from particle 1 across the seam (wrapped difference -0.2), and from particle 2
    const far = Math.PI - 0.1;
    expect(repulsion.data[0]).toBeCloseTo(2 * Math.exp(-0.04) * -0.2 + 2 * Math.exp(-far * far) * far, 12);
    expect(repulsion.data[1]).toBeCloseTo(2 * Math.exp(-0.04) * 0.2 - 2 * Math.exp(-far * far) * far, 12);
  });

  test('invariant kernel: shifts by +-2 pi as group actions equal the periodic kernel on angles', () => {
    const theta = Tensor.from(Array.from({ length: 6 }, () => (rng.uniform([1], 'float64').data[0]! * 2 - 1) * Math.PI), [6, 1], 'float64');
    const shift = (c: number) => (r: Float64Array): Float64Array => Float64Array.of(r[0]! + c);
    const a = rbfRepulsion(theta, 0.7, { period: 2 * Math.PI, bandwidth: (s) => Math.PI * s });
    const b = rbfRepulsion(theta, 0.7, { actions: [shift(2 * Math.PI), shift(-2 * Math.PI)], bandwidth: (s) => Math.PI * s });
    expectClose(b.weights.data, a.weights.data, 1e-12, 1e-15, 'W');
    expectClose(b.repulsion.data, a.repulsion.data, 1e-10, 1e-12, 'R');
  });

  test('invariant kernel under permutations (conformer trick): a permuted copy is a duplicate; gradient by central differences', () => {
    const perms = [[1, 0, 2], [0, 2, 1], [2, 1, 0], [1, 2, 0], [2, 0, 1]].map(permutationAction);
    const x = randn([4, 3]);
    x.data.set([x.data[2]!, x.data[0]!, x.data[1]!], 9); // particle 3 = particle 0 permuted
    const { weights, sqDist } = rbfRepulsion(x, 1, { actions: perms, bandwidth: 1.5 });
    expect(sqDist.data[3]).toBeCloseTo(0, 14);
    expect(weights.data[3]).toBeCloseTo(1, 14);
    // invariance: replacing x_1 by a permuted copy leaves the kernel matrix unchanged
    const y = x.clone();
    y.data.set([x.data[5]!, x.data[3]!, x.data[4]!], 3);
    expectClose(rbfRepulsion(y, 1, { actions: perms, bandwidth: 1.5 }).weights.data, weights.data, 1e-12, 1e-15, 'W after permuting x_1');
    // away from ties the repulsion is -grad_{x_i} sum_j max_A k(x_i, A x_j)
    const z = randn([4, 3]);
    const all = [(r: Float64Array) => r.slice(), ...perms];
    const f = (v: Float64Array, i: number): number => {
      let s = 0;
      for (let j = 0; j < 4; j++) {
        if (j === i) continue;
        let best = 0;
        for (const A of all) {
          const Ax = A(z.data.slice(j * 3, j * 3 + 3) as Float64Array);
          best = Math.max(best, Math.exp(-((v[0]! - Ax[0]!) ** 2 + (v[1]! - Ax[1]!) ** 2 + (v[2]! - Ax[2]!) ** 2) / 1.5));
        }
        s += best;
      }
      return s;
    };
    const r = rbfRepulsion(z, 1, { actions: perms, bandwidth: 1.5 }).repulsion;
    for (let i = 0; i < 4; i++) {
      const g = numGrad((v) => -f(v, i), z.data.slice(i * 3, i * 3 + 3) as Float64Array);
      expectClose(r.data.slice(i * 3, i * 3 + 3), g, 1e-6, 1e-9, `R_${i}`);
    }
  });

  test("select 'farthest' takes the smallest kernel value over the actions (the thesis' literal wording)", () => {
    const x = randn([3, 2]);
    const flip = (r: Float64Array): Float64Array => Float64Array.of(-r[0]!, -r[1]!);
    const near = rbfRepulsion(x, 1, { actions: [flip], bandwidth: 1 });
    const far = rbfRepulsion(x, 1, { actions: [flip], bandwidth: 1, select: 'farthest' });
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        if (i === j) continue;
        const xi = x.row(i);
        const xj = x.row(j);
        const d0 = (xi[0]! - xj[0]!) ** 2 + (xi[1]! - xj[1]!) ** 2;
        const d1 = (xi[0]! + xj[0]!) ** 2 + (xi[1]! + xj[1]!) ** 2;
        expect(near.sqDist.data[i * 3 + j]).toBeCloseTo(Math.min(d0, d1), 12);
        expect(far.sqDist.data[i * 3 + j]).toBeCloseTo(Math.max(d0, d1), 12);
      }
  });

  test('float32 input gives float32 repulsion close to the float64 one', () => {
    const x = randn([8, 16]);
    const a = rbfRepulsion(x, 1);
    const b = rbfRepulsion(x.astype('float32'), 1);
    expect(b.repulsion.dtype).toBe('float32');
    expectClose(b.repulsion.data, a.repulsion.data, 1e-4, 1e-5, 'float32 R');
  });
});

describe('edge rules: n = 1, n = 2, coincident particles', () => {
  const denoiser: Denoiser = (x) => Promise.resolve(Tensor.from(Array.from(x.data, (v) => 0.5 * v), x.shape, 'float64'));

  test('n = 1: kernel 1, no repulsion, h = 0 (finite); the guided denoiser returns D unchanged', async () => {
    const x = randn([1, 3]);
    const r = rbfRepulsion(x, 1);
    expect(Array.from(r.weights.data)).toEqual([1]);
    expect(Array.from(r.repulsion.data)).toEqual([0, 0, 0]);
    expect(r.bandwidth[0]).toBe(0);
    for (const guidance of [particleGuidance({ scale: 5 }), svgdGuidance({ scale: 5 })]) {
      const out = await withParticleGuidance(denoiser, guidance)(x, sigmas(1, 2));
      expect(Array.from(out.data)).toEqual(Array.from(x.data, (v) => 0.5 * v));
    }
  });

  test('n = 2: the median rule divides by 1 instead of log 1 = 0 (h = d^2); 0 restores the reference (h = Infinity, k = 1, no repulsion)', () => {
    const x = Tensor.from([0, 0, 3, 4], [2, 2], 'float64');
    const r = rbfRepulsion(x, 1);
    expect(Array.from(r.bandwidth)).toEqual([25, 25]);
    const c = (2 * Math.exp(-1)) / 25;
    expectClose(r.repulsion.data, [-3 * c, -4 * c, 3 * c, 4 * c], 1e-14, 0, 'R');
    const ref = rbfRepulsion(x, 1, { twoParticleDivisor: 0 });
    expect(Array.from(ref.bandwidth)).toEqual([Infinity, Infinity]);
    expect(Array.from(ref.weights.data)).toEqual([1, 1, 1, 1]);
    expect(Array.from(ref.repulsion.data)).toEqual([0, 0, 0, 0]);
    expect(() => rbfRepulsion(x, 1, { twoParticleDivisor: Infinity })).toThrow(/twoParticleDivisor/);
    expect(rbfRepulsion(x, 1, { twoParticleDivisor: Math.LN2 }).bandwidth[0]).toBeCloseTo(25 / Math.LN2, 12);
  });

  test('a zero bandwidth (coincident particles; SVGD median at n = 2) takes the h -> 0 limit: finite, no repulsion', async () => {
    const x = Tensor.from([1, 1, 1, 1, 1, 1, 5, 5], [4, 2], 'float64');
    const r = rbfRepulsion(x, 1); // particle 0: distances 0, 0, |.| -> median 0
    expect(r.bandwidth[0]).toBe(0);
    expect(r.repulsion.data.every(Number.isFinite)).toBe(true);
    expect(Array.from(r.repulsion.data.slice(0, 2))).toEqual([0, 0]);
    expect(Array.from(r.weights.data.slice(0, 4))).toEqual([1, 1, 1, 0]);
    const two = randn([2, 3]);
    const out = await withParticleGuidance(denoiser, svgdGuidance({ scale: 1 }))(two, sigmas(2, 1.5));
    expect(out.data.every(Number.isFinite)).toBe(true);
    // h = 0: w = identity, phi_i = s_i = (D_i - x_i)/sigma^2, D' = D + sigma^2 s_i = 2D - x
    expectClose(out.data, Array.from(two.data, (v) => 2 * 0.5 * v - v), 1e-14, 1e-15, 'svgd n = 2');
  });

  test('groupSize 1 means independent samples: no guidance', async () => {
    const x = randn([3, 2]);
    const out = await withParticleGuidance(denoiser, particleGuidance({ scale: 3, groupSize: 1 }))(x, sigmas(3, 2));
    expect(Array.from(out.data)).toEqual(Array.from(x.data, (v) => 0.5 * v));
  });
});

describe('guidance and the denoiser wrapper', () => {
  const zero: Denoiser = (x) => Promise.resolve(Tensor.zeros(x.shape, x.dtype));

  test('D\' = D + sigma_i^2 alpha(sigma_i) R_i, with per-row sigma', async () => {
    const x = randn([4, 3]);
    const s = Float64Array.of(0.5, 1, 2, 4);
    const scale = (v: number): number => 3 * v;
    const out = await withParticleGuidance(zero, particleGuidance({ scale, kernel: rbfKernel({ bandwidth: 2 }) }))(x, s);
    const { repulsion } = rbfRepulsion(x, s, { bandwidth: 2 });
    const expected = Array.from(repulsion.data, (r, k) => s[Math.floor(k / 3)]! ** 2 * scale(s[Math.floor(k / 3)]!) * r);
    expectClose(out.data, expected, 1e-14, 1e-15, "D'");
  });

  test('groups interact only within themselves: a batch of 3 groups equals 3 separate runs', async () => {
    const x = randn([12, 2]);
    const guidance = particleGuidance({ scale: 2, groupSize: 4 });
    const joint = await guidance.gradient(x, sigmas(12, 1), x);
    for (let g = 0; g < 3; g++) {
      const part = x.sliceRows(4 * g, 4 * g + 4).clone();
      const alone = await particleGuidance({ scale: 2 }).gradient(part, sigmas(4, 1), part);
      expectClose(joint!.sliceRows(4 * g, 4 * g + 4).data, alone!.data, 1e-14, 1e-15, `group ${g}`);
    }
    await expect(guidance.gradient(randn([6, 2]), sigmas(6, 1), randn([6, 2]))).rejects.toThrow(ShapeError);
  });

  test('a scale that is 0 at this sigma skips the kernel entirely (returns null)', async () => {
    let calls = 0;
    const kernel = { name: 'counting', evaluate: (x: Tensor, c: GuidanceContext) => { calls++; return rbfKernel().evaluate(x, c); } };
    const g = particleGuidance({ kernel, scale: referenceScale(1) });
    expect(await g.gradient(randn([3, 2]), sigmas(3, 0.5), randn([3, 2]))).toBeNull();
    expect(calls).toBe(0);
    expect(await g.gradient(randn([3, 2]), sigmas(3, 1.5), randn([3, 2]))).not.toBeNull();
    expect(calls).toBe(1);
  });

  test('SVGD with normalize n-1 is 1/(n - 1) of the reference form', async () => {
    const x = randn([5, 2]);
    const d = randn([5, 2]);
    const a = await svgdGuidance({ scale: 1 }).gradient(x, sigmas(5, 1.3), d);
    const b = await svgdGuidance({ scale: 1, normalize: 'n-1' }).gradient(x, sigmas(5, 1.3), d);
    expectClose(b!.data, Array.from(a!.data, (v) => v / 4), 1e-14, 1e-16, 'n-1');
  });

  test('bad arguments throw typed errors naming the argument', () => {
    expect(() => particleGuidance({ scale: NaN })).toThrow(ValueError);
    expect(() => particleGuidance({ scale: 1, groupSize: 0 })).toThrow(/groupSize/);
    expect(() => rbfKernel({ bandwidth: -1 })).toThrow(/bandwidth/);
    expect(() => rbfKernel({ bandwidth: 'mean' as never })).toThrow(/bandwidth/);
    expect(() => rbfRepulsion(randn([3, 2]), 1, { period: [1, 2, 3] })).toThrow(ShapeError);
    expect(() => permutationAction([0, 0, 1])).toThrow(/perm/);
    expect(() => referenceScale(1, { variant: 'svgd', space: 'vp' })).toThrow(/space/);
    expect(() => withParticleGuidance(zero, {} as never)).toThrow(/guidance/);
    expect(() => learnedPotentialGuidance({})).toThrow(/exactly one/);
    expect(() => featureKernel({ features: 3 as never })).toThrow(/features/);
  });
});

describe('scalings', () => {
  test('referenceScale: pixel alpha = coeff for sigma >= 1, feature coeff/sigma for sigma > 3, svgd coeff/sigma; vp factor sqrt(1 + sigma^2)', () => {
    const pixel = referenceScale(2);
    expect([pixel(0.999), pixel(1), pixel(10)]).toEqual([0, 2, 2]);
    const feature = referenceScale(6, { variant: 'feature' });
    expect([feature(3), feature(6)]).toEqual([0, 1]);
    expect(referenceScale(6, { variant: 'svgd' })(2)).toBe(3);
    expect(referenceScale(2, { space: 'vp' })(3)).toBeCloseTo(2 * Math.sqrt(10), 14);
    const band = referenceScale(2, { sigmaMin: 0.5, sigmaMax: 5 });
    expect([band(0.4), band(0.5), band(5), band(5.1)]).toEqual([0, 2, 2, 0]);
  });

  test('thesisScale alpha sigma^power and gatedScale', () => {
    expect(thesisScale(8)(2)).toBe(16);
    expect(thesisScale(30, { power: 2 })(2)).toBe(120);
    const g = gatedScale(thesisScale(1), { sigmaMin: 0.3, sigmaMax: 2 });
    expect([g(0.2), g(0.3), g(2), g(2.5)]).toEqual([0, 0.3, 2, 0]);
  });
});

describe('user, feature and learned potentials', () => {
  const h = 1.7;
  const rbfPair: PairKernelFunction = (a, b, _s, grad) => {
    let d2 = 0;
    for (let k = 0; k < a.length; k++) d2 += (a[k]! - b[k]!) ** 2;
    const v = Math.exp(-d2 / h);
    if (grad) for (let k = 0; k < a.length; k++) grad[k] = (-2 * v * (a[k]! - b[k]!)) / h;
    return v;
  };

  test('a user kernel with the RBF value and gradient equals rbfKernel with that bandwidth (also invariant)', async () => {
    const x = randn([5, 3]);
    const a = await userKernel(rbfPair).evaluate(x, ctx(x, 1));
    const b = rbfRepulsion(x, 1, { bandwidth: h });
    expectClose(a.weights.data, b.weights.data, 1e-14, 1e-16, 'W');
    expectClose(a.repulsion.data, b.repulsion.data, 1e-12, 1e-14, 'R');
    const perms = [[2, 0, 1], [1, 2, 0]].map(permutationAction);
    const c = await userKernel(rbfPair, { actions: perms }).evaluate(x, ctx(x, 1));
    const e = rbfRepulsion(x, 1, { bandwidth: h, actions: perms });
    expectClose(c.weights.data, e.weights.data, 1e-14, 1e-16, 'invariant W');
    expectClose(c.repulsion.data, e.repulsion.data, 1e-12, 1e-14, 'invariant R');
  });

  // f(u) = tanh(A u + b): 3 inputs -> 4 features; J^T v = A^T (v * (1 - f^2)).
  const A = [0.5, -1.2, 0.3, 0.8, 0.1, -0.4, -0.6, 0.9, 1.1, 0.2, -0.3, 0.7];
  const bias = [0.1, -0.2, 0.05, 0.3];
  const features = (u: Tensor): Promise<Tensor> => {
    const out = Tensor.zeros([u.rows, 4], 'float64');
    for (let i = 0; i < u.rows; i++)
      for (let f = 0; f < 4; f++) {
        let s = bias[f]!;
        for (let k = 0; k < 3; k++) s += A[f * 3 + k]! * u.data[i * 3 + k]!;
        out.data[i * 4 + f] = Math.tanh(s);
      }
    return Promise.resolve(out);
  };
  const vjp = async (u: Tensor, v: Tensor): Promise<Tensor> => {
    const f = await features(u);
    const out = Tensor.zeros(u.shape, 'float64');
    for (let i = 0; i < u.rows; i++)
      for (let ff = 0; ff < 4; ff++) {
        const c = v.data[i * 4 + ff]! * (1 - f.data[i * 4 + ff]! ** 2);
        for (let k = 0; k < 3; k++) out.data[i * 3 + k]! += A[ff * 3 + k]! * c;
      }
    return out;
  };

  test('feature kernel: R = J_f(x0)^T R^f on the predicted x0; the finite-difference fallback matches the exact VJP', async () => {
    const x = randn([6, 3]);
    const x0 = randn([6, 3], 0.5);
    const exact = await featureKernel({ features, vjp }).evaluate(x, ctx(x, 1, x0));
    const fd = await featureKernel({ features }).evaluate(x, ctx(x, 1, x0));
    const fdSmall = await featureKernel({ features, finiteDifference: { maxRows: 5, step: 1e-4 } }).evaluate(x, ctx(x, 1, x0));
    expectClose(fd.repulsion.data, exact.repulsion.data, 1e-5, 1e-7, 'fd vs vjp');
    expectClose(fdSmall.repulsion.data, exact.repulsion.data, 1e-7, 1e-9, 'fd (small batches) vs vjp');
    // the same as the gradient of -sum_j k(f(x0_i), f(x0_j)) w.r.t. x0_i with the bandwidths held fixed
    const f0 = await features(x0);
    const hb = rbfRepulsion(f0, 1).bandwidth;
    for (let i = 0; i < 6; i++) {
      const fi = async (v: Float64Array): Promise<number> => {
        const u = x0.clone();
        u.data.set(v, i * 3);
        const f = await features(u);
        let s = 0;
        for (let j = 0; j < 6; j++) {
          let d2 = 0;
          for (let k = 0; k < 4; k++) d2 += (f.data[i * 4 + k]! - f.data[j * 4 + k]!) ** 2;
          s += Math.exp(-d2 / hb[i]!);
        }
        return -s;
      };
      const v0 = x0.data.slice(i * 3, i * 3 + 3) as Float64Array;
      const g = new Float64Array(3);
      for (let k = 0; k < 3; k++) {
        const up = v0.slice();
        up[k]! += 1e-6;
        const dn = v0.slice();
        dn[k]! -= 1e-6;
        g[k] = ((await fi(up)) - (await fi(dn))) / 2e-6;
      }
      expectClose(exact.repulsion.data.slice(i * 3, i * 3 + 3), g, 1e-6, 1e-8, `R_${i}`);
    }
  });

  test("feature kernel on identity features of x ('on: x') is the RBF kernel on x", async () => {
    const x = randn([5, 3]);
    const id = featureKernel({ features: (u) => Promise.resolve(u.clone()), vjp: (_u, v) => Promise.resolve(v.clone()), on: 'x' });
    const a = await id.evaluate(x, ctx(x, 1, randn([5, 3])));
    const b = rbfRepulsion(x, 1);
    expectClose(a.repulsion.data, b.repulsion.data, 1e-14, 1e-16, 'R');
  });

  test('learned potential (Sec. 6.5): a model returning grad log Phi of -(alpha/2) sum k equals fixed-potential guidance; logPotential by finite differences too', async () => {
    const x = randn([4, 2]);
    const d = randn([4, 2]);
    const alpha = 0.7;
    const fixed = await particleGuidance({ scale: alpha, kernel: rbfKernel({ bandwidth: h }) }).gradient(x, sigmas(4, 1), d);
    const fromGradient = await learnedPotentialGuidance({
      gradient: (u) => Promise.resolve(rbfRepulsion(u, 1, { bandwidth: h }).repulsion),
      scale: alpha,
    }).gradient(x, sigmas(4, 1), d);
    expectClose(fromGradient!.data, fixed!.data, 1e-14, 1e-16, 'gradient model');
    const fromPotential = await learnedPotentialGuidance({
      logPotential: (u) => Promise.resolve(-0.5 * alpha * pairSum(u.data as Float64Array, 4, 2, h)),
    }).gradient(x, sigmas(4, 1), d);
    expectClose(fromPotential!.data, fixed!.data, 1e-7, 1e-9, 'logPotential (finite differences)');
    // a learned potential sees groups of one too
    let seen = 0;
    await learnedPotentialGuidance({ gradient: (u) => { seen += u.rows; return Promise.resolve(Tensor.zeros(u.shape, 'float64')); }, groupSize: 1 }).gradient(x, sigmas(4, 1), d);
    expect(seen).toBe(4);
  });
});
