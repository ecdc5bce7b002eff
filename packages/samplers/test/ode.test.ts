import { PhiloxRng, Tensor, ValueError, type Denoiser } from '@phys/tensor';
import { edmSchedule } from '@phys/kernels';
import { DenoiserOutputError, ScheduleError, edmStochasticSample, eulerSample, heunSample, odeSample, eulerSolver } from '../src/index.js';
import { expectGaussianMoments, gaussianDenoiser, marginal } from './gaussian.js';
import { slope } from './convergence.js';

// Isotropic Gaussian data N(mu, s^2 I): the PF-ODE dx/dsigma = sigma (x - mu)/(s^2 + sigma^2) is
// linear with the closed form x(sigma) = mu + (x0 - mu) sqrt(s^2 + sigma^2)/sqrt(s^2 + sigma0^2).
const S2 = 0.25;
const MU = 0.7;
const linearDenoiser: Denoiser = (x, sigma) => {
  const out = Tensor.zeros(x.shape, x.dtype);
  for (let i = 0; i < x.rows; i++) {
    const s2 = sigma[i]! ** 2;
    for (let j = i * x.rowSize; j < (i + 1) * x.rowSize; j++) out.data[j] = (S2 * x.data[j]! + s2 * MU) / (S2 + s2);
  }
  return Promise.resolve(out);
};

function uniformSigmas(n: number, from: number, to: number): Float64Array {
  return Float64Array.from({ length: n + 1 }, (_, i) => from + ((to - from) * i) / n);
}

describe('solver order on a linear ODE with a closed-form solution', () => {
  const x0 = Tensor.from([3, -2, 0.5], [3, 1], 'float64');
  const [from, to] = [4, 0.2];
  const exact = Array.from(x0.data, (v) => MU + ((v - MU) * Math.sqrt(S2 + to * to)) / Math.sqrt(S2 + from * from));
  const ns = [8, 16, 32, 64, 128];
  const globalError = async (sample: typeof eulerSample, n: number): Promise<number> => {
    const { x } = await sample(linearDenoiser, x0, uniformSigmas(n, from, to));
    return Math.max(...Array.from(x.data, (v, i) => Math.abs(v - exact[i]!)));
  };

  it('Euler: log-log slope of the global error is -1 (+-0.1)', async () => {
    const errs = await Promise.all(ns.map((n) => globalError(eulerSample, n)));
    expect(Math.abs(slope(ns, errs) + 1)).toBeLessThan(0.1);
  });

  it('Heun: log-log slope of the global error is -2 (+-0.15)', async () => {
    const errs = await Promise.all(ns.map((n) => globalError(heunSample, n)));
    expect(Math.abs(slope(ns, errs) + 2)).toBeLessThan(0.15);
    expect(errs[errs.length - 1]).toBeLessThan(2e-4);
  });
});

describe('Gaussian data: the Heun ODE sampler reproduces mean and covariance', () => {
  // 18 steps leave a 9% bias in Var(x_0) on this problem (numpy gives the same); 64 steps, 0.6%.
  it('N(mu, Sigma) in 2-D from the exact marginal at sigma_max = 80, 64 EDM steps, n = 10000 (4 standard errors)', async () => {
    const sigmas = edmSchedule({ steps: 64 });
    const xT = marginal(10000, 80, new PhiloxRng(1));
    const { x, nfe } = await heunSample(gaussianDenoiser, xT, sigmas);
    expect(nfe).toBe(127);
    expectGaussianMoments(x, 4);
  });

  it('EDM churn sampler (S_churn 40, S_min 0.05, S_max 50, S_noise 1) on 64 steps, n = 10000 (4 standard errors + 0.01)', async () => {
    const sigmas = edmSchedule({ steps: 64 });
    const xT = marginal(10000, 80, new PhiloxRng(2));
    const { x } = await edmStochasticSample(gaussianDenoiser, xT, sigmas, { rng: new PhiloxRng(3), sChurn: 40, sMin: 0.05, sMax: 50 });
    expectGaussianMoments(x, 4, 0.01);
  });
});

describe('NFE, progress, trajectory', () => {
  const x = Tensor.from([1, 2, 3, 4], [2, 2], 'float64');

  it('Heun skips the second evaluation only when the next sigma is 0', async () => {
    const calls: number[] = [];
    const d: Denoiser = (xx, s) => {
      calls.push(s[0]!);
      return linearDenoiser(xx, s);
    };
    const r1 = await heunSample(d, x, [10, 5, 1, 0]);
    expect(r1.nfe).toBe(5);
    expect(calls).toEqual([10, 5, 5, 1, 1]);
    const r2 = await heunSample(linearDenoiser, x, [10, 5, 1]);
    expect(r2.nfe).toBe(4);
    const r3 = await eulerSample(linearDenoiser, x, [10, 5, 1, 0]);
    expect(r3.nfe).toBe(3);
  });

  it('the Euler step to sigma = 0 returns D(x; sigma) exactly', async () => {
    const { x: out } = await eulerSample(linearDenoiser, x, [2, 0]);
    const d = await linearDenoiser(x, new Float64Array([2, 2]));
    expect(Array.from(out.data)).toEqual(Array.from(d.data));
  });

  it('calls onStep once per step with step, sigma and NFE; records the trajectory on request', async () => {
    const seen: [number, number, number][] = [];
    const res = await heunSample(linearDenoiser, x, [10, 5, 1, 0], { onStep: (s) => seen.push([s.step, s.sigma, s.nfe]), trajectory: true });
    expect(seen).toEqual([
      [0, 5, 2],
      [1, 1, 4],
      [2, 0, 5],
    ]);
    expect(res.trajectory).toHaveLength(4);
    expect(res.trajectorySigmas).toEqual([10, 5, 1, 0]);
    expect(Array.from(res.trajectory![0]!.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(res.trajectory![3]!.data)).toEqual(Array.from(res.x.data));
    await expect(heunSample(linearDenoiser, x, [10, 0])).resolves.not.toHaveProperty('trajectory');
  });

  it('does not modify the input and keeps float32 tensors float32', async () => {
    const x32 = Tensor.from([1, 2, 3, 4], [2, 2]);
    const res = await heunSample(linearDenoiser, x32, edmSchedule({ steps: 5 }));
    expect(Array.from(x32.data)).toEqual([1, 2, 3, 4]);
    expect(res.x.dtype).toBe('float32');
  });

  it('odeSample takes any OdeSolver', async () => {
    const a = await odeSample(linearDenoiser, x, [3, 1, 0], eulerSolver);
    const b = await eulerSample(linearDenoiser, x, [3, 1, 0]);
    expect(Array.from(a.x.data)).toEqual(Array.from(b.x.data));
  });
});

describe('typed errors', () => {
  const x = Tensor.from([1, 2, 3, 4], [2, 2], 'float64');

  it.each([
    [[], 'empty'],
    [[5], 'too-short'],
    [[1, 2], 'not-decreasing'],
    [[3, 1, 1], 'not-decreasing'],
    [[3, -1], 'negative'],
    [[3, 0, 0], 'negative'],
    [[3, NaN], 'non-finite'],
  ])('schedule %j -> ScheduleError(%s)', async (sigmas, problem) => {
    const p = heunSample(linearDenoiser, x, sigmas);
    await expect(p).rejects.toBeInstanceOf(ScheduleError);
    await expect(p).rejects.toMatchObject({ problem });
    await expect(heunSample(linearDenoiser, x, sigmas)).rejects.toBeInstanceOf(ValueError);
  });

  it('names the step and sigma when the denoiser returns the wrong shape', async () => {
    // The third call (step 1, the Heun correction at sigma = 5) returns [2, 3].
    const bad = (): Denoiser => {
      let calls = 0;
      return (xx, s) => (++calls === 3 ? Promise.resolve(Tensor.zeros([2, 3], 'float64')) : linearDenoiser(xx, s));
    };
    await expect(heunSample(bad(), x, [10, 5, 1, 0])).rejects.toBeInstanceOf(DenoiserOutputError);
    await expect(heunSample(bad(), x, [10, 5, 1, 0])).rejects.toMatchObject({ problem: 'shape', step: 1, sigma: 5 });
    await expect(heunSample(bad(), x, [10, 5, 1, 0])).rejects.toThrow('denoiser output at step 1 (sigma = 5): expected shape [2, 2], found [2, 3]');
  });

  it('names the step and sigma when the denoiser returns NaN', async () => {
    const nan: Denoiser = (xx, s) => Promise.resolve(s[0]! < 2 ? Tensor.from([0, NaN, 0, 0], [2, 2], 'float64') : xx.clone());
    await expect(eulerSample(nan, x, [10, 5, 1, 0])).rejects.toMatchObject({ problem: 'non-finite', step: 2, sigma: 1 });
  });

  it('rejects a non-tensor output, a non-finite x_T and a missing rng', async () => {
    const notTensor = (() => Promise.resolve([1, 2])) as unknown as Denoiser;
    await expect(eulerSample(notTensor, x, [1, 0])).rejects.toMatchObject({ problem: 'not-a-tensor' });
    await expect(eulerSample(linearDenoiser, Tensor.from([NaN, 0], [1, 2]), [1, 0])).rejects.toBeInstanceOf(ValueError);
    await expect(edmStochasticSample(linearDenoiser, x, [1, 0], {} as never)).rejects.toThrow('rng');
  });

  it('stops between denoiser calls when aborted and rejects with the reason', async () => {
    const ac = new AbortController();
    let calls = 0;
    const d: Denoiser = (xx, s) => {
      calls++;
      return linearDenoiser(xx, s);
    };
    const p = heunSample(d, x, edmSchedule({ steps: 18 }), { signal: ac.signal, onStep: (s) => {
        if (s.step === 2) ac.abort(new Error('stop'));
      },
    });
    await expect(p).rejects.toThrow('stop');
    expect(calls).toBe(6);
  });
});
