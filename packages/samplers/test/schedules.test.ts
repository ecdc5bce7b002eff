// k-diffusion's schedules, as its own functions computed them (tools/samplers/make_cases.py).
import { readFileSync } from 'node:fs';
import { ValueError } from '@phys/tensor';
import { edmSchedule, exponentialSchedule, kdiffusionVpSchedule, polyexponentialSchedule } from '@phys/kernels';

interface ScheduleCase { kind: string; n: number; sigma_min?: number; sigma_max?: number; rho?: number; beta_d?: number; beta_min?: number; eps_s?: number; sigmas: number[] }
const doc = JSON.parse(readFileSync(new URL('./data/reference-cases.json', import.meta.url), 'utf8')) as { schedules: ScheduleCase[] };

function ours(c: ScheduleCase): Float64Array {
  const range = { steps: c.n, sigmaMin: c.sigma_min!, sigmaMax: c.sigma_max! };
  if (c.kind === 'karras') return edmSchedule({ ...range, rho: c.rho! });
  if (c.kind === 'exponential') return exponentialSchedule(range);
  if (c.kind === 'polyexponential') return polyexponentialSchedule({ ...range, rho: c.rho! });
  return kdiffusionVpSchedule({ steps: c.n, betaD: c.beta_d!, betaMin: c.beta_min!, epsilonS: c.eps_s! });
}

describe('schedules equal k-diffusion get_sigmas_* (relative 1e-9: torch exp(x) - 1 vs our expm1 near t = epsilon_s)', () => {
  it.each(doc.schedules.map((c) => [`${c.kind} n=${c.n} ${c.rho ?? c.beta_d ?? ''}`, c] as const))('%s', (_name, c) => {
    const s = ours(c);
    expect(s).toHaveLength(c.sigmas.length);
    c.sigmas.forEach((v, i) => { expect(Math.abs(s[i]! - v)).toBeLessThanOrEqual(1e-9 * v); });
  });

  it('rejects bad arguments with ValueError', () => {
    expect(() => exponentialSchedule({ steps: 0 })).toThrow(ValueError);
    expect(() => polyexponentialSchedule({ steps: 5, sigmaMin: 2, sigmaMax: 1 })).toThrow(ValueError);
    expect(() => kdiffusionVpSchedule({ steps: 5, epsilonS: 1 })).toThrow(ValueError);
  });
});
