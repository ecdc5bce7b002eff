// UniPC (Zhao et al. 2023): the unified predictor UniP-p and corrector UniC-p in the
// data-prediction form with B(h) = h (bh1) or e^h - 1 (bh2), as `multistep_uni_pc_bh_update` and
// `UniPC.sample(method='multistep')` of the reference (wl-zhao/UniPC uni_pc.py) compute them,
// with EDM's sigma as time (alpha = 1, lambda = -log sigma).
import { ValueError, getBackend, type Denoiser, type Tensor } from '@phys/tensor';
import type { SamplerRun } from './common.js';
import { odeSample, type OdeSolver } from './ode.js';
import type { SampleResult, SamplerOptions } from './types.js';

/** Settings of {@link unipcSolver}. */
export interface UnipcOptions {
  /** Order p of UniP-p / UniC-p, 1..4. Default 2 (the reference's `sample` default; it suggests 3 for unconditional models). */
  order?: number;
  /** B(h): `'bh1'` (B = h, default of the reference) or `'bh2'` (B = e^h - 1, diffusers' default). */
  variant?: 'bh1' | 'bh2';
  /**
   * The reference's `lower_order_final`: step j of N uses order min(order, N + 1 - j) (for every N,
   * unlike DPM-Solver's N < 10). Default true.
   */
  lowerOrderFinal?: boolean;
}

/** Solves the small system `a y = b` (row-major, n x n) by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row.slice(0, n), b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * y[k]!;
    y[r] = s / m[r]![r]!;
  }
  return y;
}

/**
 * Coefficients of one UniPC step of order `order` from `sigmaPrev[0]` to `sigma` (`sigmaPrev`
 * newest first): B(h), the predictor's rho_p (order - 1 of them, the reference's 0.5 for order 2)
 * and the corrector's rho_c (order of them, 0.5 for order 1). UniPC Alg. 2/3 and Thm. 3:
 * R rho = b with R_ik = r_k^(i-1), b_i = h phi_{i+1}(h) i!/B(h) in the data-prediction sign.
 */
export function unipcCoefficients(sigmaPrev: readonly number[], sigma: number, order: number, variant: 'bh1' | 'bh2'): { bh: number; rhosP: number[]; rhosC: number[]; rks: number[] } {
  const h = Math.log(sigmaPrev[0]! / sigma);
  const rks: number[] = [];
  for (let i = 1; i < order; i++) rks.push(Math.log(sigmaPrev[0]! / sigmaPrev[i]!) / h);
  rks.push(1);
  const hh = -h;
  const hPhi1 = Math.expm1(hh);
  let hPhiK = hPhi1 / hh - 1;
  let factorial = 1;
  const bh = variant === 'bh1' ? hh : Math.expm1(hh);
  const r: number[][] = [];
  const b: number[] = [];
  for (let i = 1; i <= order; i++) {
    r.push(rks.map((rk) => rk ** (i - 1)));
    b.push((hPhiK * factorial) / bh);
    factorial *= i + 1;
    hPhiK = hPhiK / hh - 1 / factorial;
  }
  const rhosP = order === 1 ? [] : order === 2 ? [0.5] : solve(r.slice(0, -1).map((row) => row.slice(0, -1)), b.slice(0, -1));
  const rhosC = order === 1 ? [0.5] : solve(r, b);
  return { bh, rhosP, rhosC, rks: rks.slice(0, -1) };
}

/**
 * UniPC multistep as an {@link OdeSolver} (Restart's inner solver). Per step of order p: the
 * predictor x_t = (sigma/sigma_0) x - (e^{-h} - 1) m_0 - B(h) sum rho_p,k D_k with
 * D_k = (m_k - m_0)/r_k, then (except on the last step) the corrector evaluates m_t = D(x_t; sigma)
 * once and recomputes x_t with rho_c, reusing m_t as the next step's history: one NFE per step. On a
 * schedule ending in 0 the steps are counted to the last positive level and the step to 0 is the
 * reference's `denoise_to_zero` (x = D(x; sigma_min), one NFE).
 */
export function unipcSolver(options: UnipcOptions = {}): OdeSolver {
  const order = options.order ?? 2;
  if (!(Number.isInteger(order) && order >= 1 && order <= 4)) throw new ValueError('order', order, 'an integer in [1, 4]');
  const variant: string = options.variant ?? 'bh1';
  if (variant !== 'bh1' && variant !== 'bh2') throw new ValueError('variant', variant, "'bh1' or 'bh2'");
  const lowerOrderFinal = options.lowerOrderFinal ?? true;
  return {
    name: `unipc-${order}-${variant}`,
    async integrate<C>(run: SamplerRun<C>, x0: Tensor, sigmas: Float64Array): Promise<Tensor> {
      const backend = getBackend();
      const n = sigmas.length - 1;
      const steps = sigmas[n] === 0 ? n - 1 : n;
      let x = x0.clone();
      const models: Tensor[] = [await run.denoise(x, sigmas[0]!)]; // newest first
      for (let step = 1; step <= steps; step++) {
        const sigma = sigmas[step]!;
        const k = Math.min(step, lowerOrderFinal ? Math.min(order, steps + 1 - step) : order);
        const prev = Array.from({ length: k }, (_, i) => sigmas[step - 1 - i]!);
        const { bh, rhosP, rhosC, rks } = unipcCoefficients(prev, sigma, k, variant);
        const m0 = models[0]!;
        const base: [number, Tensor][] = [[sigma / prev[0]!, x], [-Math.expm1(-Math.log(prev[0]! / sigma)), m0]];
        // D_k = (m_k - m_0)/r_k: a combination sum_k c_k D_k adds c_k/r_k m_k - c_k/r_k m_0.
        const withDiffs = (terms: [number, Tensor][], rhos: readonly number[]): [number, Tensor][] => {
          const out = terms.map(([c, t]) => [c, t] as [number, Tensor]);
          rhos.forEach((rho, i) => {
            const c = (-bh * rho) / rks[i]!;
            out.push([c, models[i + 1]!]);
            out[1]![0] -= c;
          });
          return out;
        };
        const xt = backend.lincomb(withDiffs(base, rhosP));
        if (step < steps) {
          const mt = await run.denoise(xt, sigma);
          const corr = withDiffs(base, rhosC.slice(0, -1));
          const cLast = -bh * rhosC[rhosC.length - 1]!;
          corr.push([cLast, mt]);
          corr[1]![0] -= cLast;
          x = backend.lincomb(corr);
          models.unshift(mt);
          if (models.length > order) models.pop();
        } else {
          x = xt;
        }
        run.step(x, sigma);
      }
      if (steps < n) {
        x = steps === 0 ? models[0]!.clone() : (await run.denoise(x, sigmas[steps]!)).clone();
        run.step(x, 0);
      }
      return x;
    },
  };
}

/** Options of {@link unipcSample}. */
export interface UnipcSampleOptions<C = unknown> extends SamplerOptions<C>, UnipcOptions {}

/**
 * UniPC sampling (Zhao et al. 2023; the reference's `UniPC.sample(method='multistep')` with
 * `denoise_to_zero` on a schedule ending in 0): one NFE per step, deterministic, for every kernel
 * (PFGM++ through r = sigma sqrt(D)).
 */
export function unipcSample<C = unknown>(denoiser: Denoiser<C>, x: Tensor, sigmas: ArrayLike<number>, options: UnipcSampleOptions<C> = {}): Promise<SampleResult> {
  return odeSample(denoiser, x, sigmas, unipcSolver(options), options);
}
