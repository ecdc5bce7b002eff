import { ValueError } from '@phys/tensor';
import { expectClose, loadGolden } from '../../../test-support/golden.js';
import { edmSchedule } from '../src/index.js';

interface DiscretizationCase {
  num_steps: number;
  sigma_min: number;
  sigma_max: number;
  rho: number;
  t_steps: number[];
}

describe('edmSchedule (thesis Alg. 8)', () => {
  const cases = loadGolden<{ discretization: DiscretizationCase[] }>('edm.json').discretization;

  it.each(cases.map((c) => [c.num_steps, c.sigma_min, c.sigma_max, c.rho, c] as const))(
    'matches edm.json discretization N=%d sigma_min=%d sigma_max=%d rho=%d (rtol 1e-13)',
    (steps, sigmaMin, sigmaMax, rho, c) => {
      const t = edmSchedule({ steps, sigmaMin, sigmaMax, rho });
      expect(t.length).toBe(steps + 1);
      expect(t[steps]).toBe(0);
      expectClose(t, c.t_steps, 1e-13, 0, 't_steps');
    },
  );

  it('keeps the float64 value of t_{N-1} that Restart snapping depends on', () => {
    const t = edmSchedule({ steps: 18 });
    expect(t[0]).toBe(80);
    expect(t[17]).toBe(0.002000000000000003);
  });

  it('rejects N < 2 and bad ranges with a ValueError naming the argument', () => {
    expect(() => edmSchedule({ steps: 1 })).toThrow(ValueError);
    expect(() => edmSchedule({ steps: 1 })).toThrow(/steps/);
    expect(() => edmSchedule({ steps: 2.5 })).toThrow(/steps/);
    expect(() => edmSchedule({ steps: 10, sigmaMin: 0 })).toThrow(/sigmaMin/);
    expect(() => edmSchedule({ steps: 10, sigmaMin: NaN })).toThrow(/sigmaMin/);
    expect(() => edmSchedule({ steps: 10, sigmaMax: 0.001 })).toThrow(/sigmaMax/);
    expect(() => edmSchedule({ steps: 10, rho: -1 })).toThrow(/rho/);
  });
});
