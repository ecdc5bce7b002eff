// Linear multistep (Adams-Bashforth on a non-uniform grid; k-diffusion `sample_lms`) on the
// probability-flow ODE dx/dsigma = (x - D(x; sigma))/sigma.
import { ValueError, getBackend, type Denoiser, type Tensor } from '@phys/tensor';
import type { SamplerRun } from './common.js';
import { odeSample, type OdeSolver } from './ode.js';
import type { SampleResult, SamplerOptions } from './types.js';

// 4-point Gauss-Legendre nodes and weights on [-1, 1]: exact for the cubic Lagrange bases of order <= 4.
const GL_X = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const GL_W = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];

/**
 * Coefficient of d_{i-j} in the order-`order` Adams-Bashforth step from sigmas[i] to sigmas[i+1]:
 * the integral over [sigma_i, sigma_{i+1}] of the Lagrange basis polynomial through
 * sigma_i, ..., sigma_{i-order+1} that is 1 at sigma_{i-j} (k-diffusion `linear_multistep_coeff`,
 * there by scipy quad, here exactly).
 */
export function linearMultistepCoefficient(order: number, sigmas: ArrayLike<number>, i: number, j: number): number {
  if (order - 1 > i) throw new ValueError('order', order, `at most ${i + 1} at step ${i}`);
  const a = sigmas[i]!;
  const b = sigmas[i + 1]!;
  let sum = 0;
  for (let q = 0; q < GL_X.length; q++) {
    const tau = (a + b) / 2 + ((b - a) / 2) * GL_X[q]!;
    let prod = 1;
    for (let k = 0; k < order; k++) if (k !== j) prod *= (tau - sigmas[i - k]!) / (sigmas[i - j]! - sigmas[i - k]!);
    sum += GL_W[q]! * prod;
  }
  return ((b - a) / 2) * sum;
}

/** Options of {@link lmsSolver} and {@link lmsSample}. */
export interface LmsOptions {
  /** Number of past derivatives (1 = Euler). Default 4. */
  order?: number;
}

/** LMS of order `order` as an {@link OdeSolver} (one NFE per step; the first steps use the history there is). */
export function lmsSolver(options: LmsOptions = {}): OdeSolver {
  const order = options.order ?? 4;
  if (!(Number.isInteger(order) && order >= 1 && order <= 8)) throw new ValueError('order', order, 'an integer in [1, 8]');
  return {
    name: `lms-${order}`,
    async integrate<C>(run: SamplerRun<C>, x0: Tensor, sigmas: Float64Array): Promise<Tensor> {
      const backend = getBackend();
      const x = backend.clone(x0);
      const ds: Tensor[] = []; // newest first
      for (let i = 0; i + 1 < sigmas.length; i++) {
        const sigma = sigmas[i]!;
        const denoised = await run.denoise(x, sigma);
        ds.unshift(backend.axpby(1 / sigma, x, -1 / sigma, denoised));
        if (ds.length > order) ds.pop();
        const k = Math.min(i + 1, order);
        const terms: [number, Tensor][] = [[1, x]];
        for (let j = 0; j < k; j++) terms.push([linearMultistepCoefficient(k, sigmas, i, j), ds[j]!]);
        backend.lincomb(terms, x);
        run.step(x, sigmas[i + 1]!);
      }
      return x;
    },
  };
}

/** Options of {@link lmsSample}. */
export interface LmsSampleOptions<C = unknown> extends SamplerOptions<C>, LmsOptions {}

/**
 * Linear multistep sampling (k-diffusion `sample_lms`, order 4 by default): x' = x + sum_j c_j d_{i-j}
 * with d = (x - D)/sigma and c_j the integrals of the Lagrange basis over the step. One NFE per
 * step; deterministic, for every kernel (PFGM++ through r = sigma sqrt(D)).
 */
export function lmsSample<C = unknown>(denoiser: Denoiser<C>, x: Tensor, sigmas: ArrayLike<number>, options: LmsSampleOptions<C> = {}): Promise<SampleResult> {
  return odeSample(denoiser, x, sigmas, lmsSolver(options), options);
}
