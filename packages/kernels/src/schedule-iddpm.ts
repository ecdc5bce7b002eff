// The iDDPM time discretization of EDM's ablation sampler (Karras et al. 2022, Table 1;
// NVlabs/edm generate.py `ablation_sampler`, discretization='iddpm').
import { ValueError } from '@phys/tensor';
import { checkPositive } from './validate.js';

/** Options of {@link iddpmSchedule} (EDM's defaults). */
export interface IddpmScheduleOptions {
  /** Number of noise levels before the trailing 0; an integer >= 2. */
  steps: number;
  /** Keep grid levels >= sigmaMin (default 0.002). */
  sigmaMin?: number;
  /** Keep grid levels <= sigmaMax (default 81). */
  sigmaMax?: number;
  /** Clip of the alpha-bar ratio, C_1 (default 0.001). */
  c1?: number;
  /** Cosine schedule offset, C_2 (default 0.008). */
  c2?: number;
  /** Number of iDDPM training steps M (default 1000). */
  M?: number;
}

/** Rounds half to even, as torch.round. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * EDM Table 1's iDDPM discretization: u_M = 0, u_{j-1} = sqrt((u_j^2 + 1)/max(abar_{j-1}/abar_j, C_1) - 1)
 * with abar_j = sin(pi j/(2 M (C_2 + 1)))^2; of the u in [sigmaMin, sigmaMax] (decreasing), take
 * index round((K - 1) i/(N - 1)) (half to even, as torch) for i < N, then 0.
 */
export function iddpmSchedule(options: IddpmScheduleOptions): Float64Array {
  const { steps, sigmaMin = 0.002, sigmaMax = 81, c1 = 0.001, c2 = 0.008, M = 1000 } = options;
  if (!(Number.isInteger(steps) && steps >= 2)) throw new ValueError('steps', steps, 'an integer >= 2');
  if (!(Number.isInteger(M) && M >= 1)) throw new ValueError('M', M, 'an integer >= 1');
  checkPositive(c1, 'c1');
  checkPositive(sigmaMax, 'sigmaMax');
  if (!(c2 >= 0 && Number.isFinite(c2))) throw new ValueError('c2', c2, 'a finite number >= 0');
  const alphaBar = (j: number): number => Math.sin((0.5 * Math.PI * j) / M / (c2 + 1)) ** 2;
  const u = new Float64Array(M + 1);
  for (let j = M; j > 0; j--) u[j - 1] = Math.sqrt((u[j]! ** 2 + 1) / Math.max(alphaBar(j - 1) / alphaBar(j), c1) - 1);
  const kept = Array.from(u).filter((v) => v >= sigmaMin && v <= sigmaMax);
  if (kept.length < 2) throw new ValueError('sigmaMin', sigmaMin, `a range holding at least two iDDPM levels (sigmaMax = ${sigmaMax})`);
  const out = new Float64Array(steps + 1);
  for (let i = 0; i < steps; i++) out[i] = kept[roundHalfEven(((kept.length - 1) / (steps - 1)) * i)]!;
  return out;
}
