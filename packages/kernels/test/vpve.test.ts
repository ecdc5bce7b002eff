import { PhiloxRng, ReplayRandom, ShapeError, Tensor, ValueError } from '@phys/tensor';
import { expectClose } from '../../../test-support/golden.js';
import {
  edmKernel,
  pfgmppKernel,
  veKernel,
  veSchedule,
  veSigma,
  veSigmaInv,
  vpAlpha,
  vpKernel,
  vpPerturb,
  vpSchedule,
  vpSigma,
  vpSigmaDeriv,
  vpSigmaInv,
} from '../src/index.js';

describe('VP maps (thesis Alg. 15-18, EDM Table 1)', () => {
  const vp = vpKernel();

  it('sigma(t) = sqrt((1 - alpha_t)/alpha_t), s(t) = sqrt(alpha_t) = 1/sqrt(1 + sigma^2)', () => {
    for (const t of [1e-5, 1e-3, 0.1, 0.5, 1]) {
      const a = Math.exp(-0.5 * 19.9 * t * t - 0.1 * t);
      expect(vp.alpha(t)).toBeCloseTo(a, 15);
      expect(vp.sigma(t) / Math.sqrt((1 - a) / a)).toBeCloseTo(1, 9);
      expect(vp.scale(t)).toBeCloseTo(1 / Math.sqrt(1 + vp.sigma(t) ** 2), 14);
    }
  });

  it('sigmaInv inverts sigma to 1e-12 (relative), down to t = 1e-8', () => {
    for (const t of [1e-8, 1e-5, 1e-3, 0.2, 0.7, 1]) expect(vpSigmaInv(vpSigma(t)) / t).toBeCloseTo(1, 12);
    expect(vp.sigmaInv(vp.sigma(0.3))).toBeCloseTo(0.3, 14);
  });

  it('sigmaDeriv is d sigma/dt (central differences)', () => {
    for (const t of [0.05, 0.4, 0.9]) {
      const h = 1e-6;
      expect(vpSigmaDeriv(t) / ((vpSigma(t + h) - vpSigma(t - h)) / (2 * h))).toBeCloseTo(1, 7);
    }
  });

  it('vpSchedule starts at sigma_VP(1), ends at sigma_VP(eps_s) then 0, and is sigma of times linear in t', () => {
    const s = vpSchedule({ steps: 10 });
    expect(s.length).toBe(11);
    expect(s[0]! / vpSigma(1)).toBeCloseTo(1, 12);
    expect(s[9]! / vpSigma(1e-3)).toBeCloseTo(1, 10);
    expect(s[10]).toBe(0);
    const t = Array.from(s.subarray(0, 10), (v) => vpSigmaInv(v));
    for (let i = 1; i < 10; i++) expect(t[i - 1]! - t[i]!).toBeCloseTo((1 - 1e-3) / 9, 10);
  });

  it('vpPerturb is Alg. 15 for Gaussian kernels: x_t = sqrt(alpha) y + sqrt(1 - alpha) eps, target eps', () => {
    const y = Tensor.from([1, -2, 0.5, 3], [2, 2], 'float64');
    const eps = [0.3, -0.1, 1.2, 0.7];
    const t = Float64Array.from([0.2, 0.9]);
    const p = vpPerturb(edmKernel(), y, t, new ReplayRandom({ normal: [eps] }));
    for (let i = 0; i < 2; i++) {
      const a = vpAlpha(t[i]!);
      for (let j = 0; j < 2; j++) {
        expect(p.x.data[2 * i + j]).toBeCloseTo(Math.sqrt(a) * y.data[2 * i + j]! + Math.sqrt(1 - a) * eps[2 * i + j]!, 13);
      }
    }
    expectClose(p.target.data, eps, 0, 0, 'target');
  });

  it('vpPerturb is Alg. 16 for PFGM++: x_t = sqrt(alpha)(y + R v), target sqrt(D) R v / r', () => {
    const D = 32;
    const y = Tensor.zeros([3, 5], 'float64');
    const t = Float64Array.from([0.1, 0.5, 1]);
    const p = vpPerturb(pfgmppKernel({ D, betaClip: 0, radiusEps: 0 }), y, t, new PhiloxRng(4));
    for (let i = 0; i < 3; i++) {
      const sigma = vpSigma(t[i]!);
      const xr = Array.from(p.x.data.subarray(5 * i, 5 * i + 5));
      const tr = Array.from(p.target.data.subarray(5 * i, 5 * i + 5));
      // x_t / sqrt(alpha) = R v and target = R v / sigma, so target * sigma * sqrt(alpha) = x_t.
      xr.forEach((v, j) => { expect(tr[j]! * sigma * Math.sqrt(vpAlpha(t[i]!))).toBeCloseTo(v, 12); });
    }
  });

  it('rejects t outside (0, 1] and a mismatched t length', () => {
    const y = Tensor.zeros([2, 2], 'float64');
    expect(() => vpPerturb(edmKernel(), y, Float64Array.from([0, 0.5]), new PhiloxRng(0))).toThrow(/t\[0\]/);
    expect(() => vpPerturb(edmKernel(), y, Float64Array.from([0.5]), new PhiloxRng(0))).toThrow(ShapeError);
    expect(() => vpSigma(-1)).toThrow(ValueError);
    expect(() => vpKernel({ betaD: 0 })).toThrow(/betaD/);
  });

  it('is a Gaussian kernel in sigma units', () => {
    expect(vp.D).toBe(Infinity);
    expect(vp.name).toBe('vp');
    expect(vp.logKernel(2, 0.5)).toBe(edmKernel().logKernel(2, 0.5));
  });
});

describe('VE maps', () => {
  it('sigma(t) = sqrt(t), t(sigma) = sigma^2, and the geometric VE schedule', () => {
    const ve = veKernel();
    expect(ve.sigma(4)).toBe(2);
    expect(ve.sigmaInv(3)).toBe(9);
    expect(veSigma(veSigmaInv(0.7))).toBeCloseTo(0.7, 15);
    const s = veSchedule({ steps: 5, sigmaMin: 0.02, sigmaMax: 100 });
    expect(s[0]).toBeCloseTo(100, 12);
    expect(s[4]).toBeCloseTo(0.02, 14);
    expect(s[5]).toBe(0);
    for (let i = 1; i < 4; i++) expect(s[i]! / s[i - 1]!).toBeCloseTo(s[i + 1]! / s[i]!, 12);
  });
});
