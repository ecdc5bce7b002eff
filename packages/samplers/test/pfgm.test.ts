import { Tensor, ValueError } from '@phys/tensor';
import { expectClose, flat, loadGolden } from '../../../test-support/golden.js';
import {
  FieldOutputError,
  pfgmDrift,
  pfgmEncode,
  pfgmSample,
  type NormalizedField,
  type NormalizedFieldValue,
} from '../src/pfgm.js';

interface SamplerRow {
  solver: string;
  steps?: number;
  z_max: number;
  z_min: number;
  z_exp: number;
  x_prior: number[][];
  x_final: number[][];
  nfe_reported: number;
}

const golden = loadGolden('pfgm.json');
const N: number = golden.N;
const gamma: number = golden.gamma;
const points: number[][] = golden.field_target.ref_batch_BL;

/**
 * Test fixture: the exact normalized Poisson field of a point set in N + 1 dimensions (seed 001
 * Alg. 1 and the reference loss): E = sum_i c_i (y~_i - x~), c ~ (min d/(d_i + 1e-7))^(N+1)
 * normalised with +1e-7, v = sqrt(N) E/(|E| + gamma). This is the "net" the golden files use.
 */
function exactField(ys: number[][], g: number): NormalizedField {
  return (x, z) => {
    const n = x.rowSize;
    const vx = Tensor.zeros(x.shape, 'float64');
    const vz = new Float64Array(x.rows);
    for (let r = 0; r < x.rows; r++) {
      const xr = x.row(r);
      const zr = z[r]!;
      const d = ys.map((y) => Math.sqrt(y.reduce((s, v, j) => s + (v - xr[j]!) ** 2, 0) + zr * zr));
      const dMin = Math.min(...d);
      const c = d.map((di) => (dMin / (di + 1e-7)) ** (n + 1));
      const cs = c.reduce((a, b) => a + b) + 1e-7;
      const e = new Float64Array(n + 1);
      ys.forEach((y, i) => {
        const w = c[i]! / cs;
        for (let j = 0; j < n; j++) e[j]! += w * (y[j]! - xr[j]!);
        e[n]! += w * -zr;
      });
      const norm = Math.hypot(...e);
      const k = Math.sqrt(n) / (norm + g);
      for (let j = 0; j < n; j++) vx.data[r * n + j] = k * e[j]!;
      vz[r] = k * e[n]!;
    }
    return Promise.resolve({ vx, vz });
  };
}

const field = exactField(points, gamma);
const f64 = (rows: number[][]): Tensor => Tensor.from(rows.flat(), [rows.length, rows[0]!.length], 'float64');

describe('PFGM z-anchored ODE (seed 001 Sec. 3.3, Eq. 6)', () => {
  it('test fixture: the exact field reproduces pfgm.json field_target (rtol 1e-6)', async () => {
    const ft = golden.field_target;
    const xz: number[][] = ft.perturbed_xz;
    const out = await field(f64(xz.map((r) => r.slice(0, N))), Float64Array.from(xz.map((r) => r[N]!)));
    const got = xz.flatMap((_, r) => [...Array.from(out.vx.row(r)), out.vz[r]!]);
    expectClose(got, flat(ft.target), 1e-6, 1e-9, 'field target');
  });

  it('drift z v_x/(v_z + 1e-5) with the z_exp substitution matches pfgm.json ode_drift (float32 reference: rtol 1e-4, atol 1e-6)', async () => {
    const od = golden.ode_drift;
    const x = f64(od.x);
    for (const row of od.rows as { t: number; drift_dx_dtprime: number[][]; substituted: boolean }[]) {
      const z = new Float64Array(x.rows).fill(Math.exp(row.t));
      const drift = pfgmDrift(await field(x, z), z, { zExp: od.z_exp, gamma });
      expectClose(drift.data, flat(row.drift_dx_dtprime), 1e-4, 1e-6, `drift at z = ${z[0]}`);
      expect(z[0]! < od.z_exp).toBe(row.substituted);
      if (row.substituted) {
        // Below z_exp the predicted v_z is replaced: a field with a wrong v_z gives the same drift.
        const v = await field(x, z);
        const wrongVz = pfgmDrift({ vx: v.vx, vz: new Float64Array(x.rows).fill(0.7) }, z, { zExp: od.z_exp, gamma });
        expectClose(wrongVz.data, flat(row.drift_dx_dtprime), 1e-4, 1e-6, `substituted drift at z = ${z[0]}`);
      }
    }
  });

  const rows = golden.samplers.rows as SamplerRow[];
  const fixed = rows.filter((r) => r.solver === 'forward_euler' || r.solver === 'improved_euler');
  it.each(fixed.map((r) => [r.solver, r.steps!, r] as const))(
    '%s with %i steps matches pfgm.json samplers (rtol 1e-4, atol 1e-4) and reports its NFE',
    async (solver, steps, row) => {
      const res = await pfgmSample(field, f64(row.x_prior), {
        solver: solver === 'forward_euler' ? 'euler' : 'improved-euler',
        steps,
        zMax: row.z_max,
        zMin: row.z_min,
        zExp: row.z_exp,
        gamma,
      });
      expect(res.nfe).toBe(row.nfe_reported);
      expectClose(res.x.data, flat(row.x_final), 1e-4, 1e-4, `${solver} x_final`);
    },
  );

  it('RK45 (rtol = atol = 1e-4, x and z jointly) matches the reference RK45 row (rtol 1e-2) and the tight row via our own tight run (1e-4)', async () => {
    const loose = rows.find((r) => r.solver.startsWith('rk45') && r.solver.includes('1e-4'))!;
    const tight = rows.find((r) => r.solver.startsWith('rk45') && r.solver.includes('1e-9'))!;
    const opts = { zMax: loose.z_max, zMin: loose.z_min, zExp: loose.z_exp, gamma };
    const ours = await pfgmSample(field, f64(loose.x_prior), { ...opts, solver: 'rk45' });
    expectClose(ours.x.data, flat(loose.x_final), 1e-2, 1e-3, 'rk45 (1e-4) vs reference rk45 (1e-4)');
    expect((ours.nfe - 2) % 6).toBe(0); // scipy's nfev: 2 + 6 per attempted step
    const oursTight = await pfgmSample(field, f64(tight.x_prior), { ...opts, solver: 'rk45', rtol: 1e-9, atol: 1e-9 });
    expectClose(oursTight.x.data, flat(tight.x_final), 1e-4, 1e-4, 'rk45 (1e-9) vs reference tight row');
    // The 1e-4 run is within a few tolerances of the (near-exact) tight solution.
    expectClose(ours.x.data, oursTight.x.data, 0, 5e-3, 'rk45 (1e-4) vs our tight run');
  });

  it('RK45 on an image-shaped batch [B, 1, 2, 2] weighs z as one extra channel (H*W copies), like the reference', async () => {
    // With z as a 2x2 channel the adaptive steps are the reference's own: same NFE, same result.
    const loose = rows.find((r) => r.solver.startsWith('rk45') && r.solver.includes('1e-4'))!;
    const x = f64(loose.x_prior).reshape([loose.x_prior.length, 1, 2, 2]);
    const img: NormalizedField = async (xs, z) => {
      const v = await field(xs.reshape([xs.rows, N]), z);
      return { vx: v.vx.reshape(xs.shape), vz: v.vz };
    };
    const ours = await pfgmSample(img, x, { zMax: loose.z_max, zMin: loose.z_min, zExp: loose.z_exp, gamma });
    expect(ours.nfe).toBe(loose.nfe_reported);
    expectClose(ours.x.data, flat(loose.x_final), 1e-4, 1e-4, 'rk45 [B,1,2,2] vs reference rk45 (1e-4)');
    const flatRun = await pfgmSample(field, f64(loose.x_prior), { zMax: loose.z_max, zMin: loose.z_min, zExp: loose.z_exp, gamma, zComponents: 4 });
    expect(flatRun.nfe).toBe(loose.nfe_reported);
    await expect(pfgmSample(field, f64(loose.x_prior), { zComponents: 0 })).rejects.toThrow(ValueError);
  });

  it('forward ODE (encode) inverts the backward ODE', async () => {
    const x0 = f64([
      [10, -25, 5, 12],
      [-3, 8, 30, -6],
    ]);
    const opts = { zMax: 40, zMin: 0.5, zExp: 5, gamma, rtol: 1e-9, atol: 1e-9 };
    const data = await pfgmSample(field, x0, opts);
    const latent = await pfgmEncode(field, data.x, opts);
    expectClose(latent.x.data, x0.data, 1e-6, 1e-6, 'encode(sample(x))');
    // Fixed-step encode with improved Euler converges to the same latent.
    const heun = await pfgmEncode(field, data.x, { ...opts, solver: 'improved-euler', steps: 400 });
    expect(heun.nfe).toBe(799);
    expectClose(heun.x.data, x0.data, 1e-3, 1e-3, 'improved-Euler encode');
  });

  it('reports steps with z as sigma, records the trajectory and honours the abort signal', async () => {
    const seen: { step: number; sigma: number; nfe: number }[] = [];
    const r = await pfgmSample(field, f64([[1, 2, 3, 4]]), { solver: 'euler', steps: 5, zMax: 10, zMin: 0.1, trajectory: true, onStep: (i) => seen.push(i) });
    expect(seen.map((s) => s.step)).toEqual([0, 1, 2, 3, 4]);
    expect(seen.map((s) => s.nfe)).toEqual([1, 2, 3, 4, 5]);
    expectClose(
      seen.map((s) => s.sigma),
      [10 ** (1 - 2 / 5), 10 ** (1 - 4 / 5), 10 ** (1 - 6 / 5), 10 ** (1 - 8 / 5), 0.1],
      1e-12,
      0,
      'z grid',
    );
    expect(r.trajectory).toHaveLength(6);
    expect(r.trajectorySigmas![0]).toBeCloseTo(10, 12);
    const ac = new AbortController();
    ac.abort(new Error('cancelled'));
    await expect(pfgmSample(field, f64([[1, 2, 3, 4]]), { signal: ac.signal })).rejects.toThrow('cancelled');
  });

  it('rejects bad input and names the step and z of a bad field output', async () => {
    const x = f64([[1, 2, 3, 4]]);
    await expect(pfgmSample(field, x, { zMin: 0 })).rejects.toThrow(ValueError);
    await expect(pfgmSample(field, x, { zMax: 1e-4 })).rejects.toThrow(ValueError);
    await expect(pfgmSample(field, x, { solver: 'euler', steps: 0 })).rejects.toThrow(ValueError);
    await expect(pfgmSample(field, x, { solver: 'midpoint' as 'euler' })).rejects.toThrow(ValueError);
    await expect(pfgmSample(field, x, { gamma: -1 })).rejects.toThrow(ValueError);
    await expect(pfgmSample(field, f64([[NaN, 0, 0, 0]]))).rejects.toThrow(ValueError);
    const nanBelow1: NormalizedField = async (xs, z) => {
      const v: NormalizedFieldValue = await field(xs, z);
      if (z[0]! < 1) v.vx.data[0] = NaN;
      return v;
    };
    const err = (await pfgmSample(nanBelow1, x, { solver: 'euler', steps: 10 }).catch((e: unknown) => e)) as FieldOutputError;
    expect(err).toBeInstanceOf(FieldOutputError);
    expect(err.problem).toBe('non-finite');
    expect(err.z).toBeLessThan(1);
    expect(err.message).toMatch(/step \d+ \(z = /);
    const wrongShape: NormalizedField = (xs) => Promise.resolve({ vx: Tensor.zeros([xs.rows, 3], 'float64'), vz: new Float64Array(xs.rows) });
    await expect(pfgmSample(wrongShape, x)).rejects.toThrow(FieldOutputError);
  });
});
