import path from 'node:path';
import { PhiloxRng, Tensor, ValueError } from '@phys/tensor';
import { edmSchedule, straightPath, trigPath, velocityToDenoised } from '@phys/kernels';
import { flowSample, flowTimes, heunSample } from '@phys/samplers';
import { loadDenoiser, loadVelocityModel, parsePhysMetadata, type OnnxVelocityModel } from '../src/index.js';
import { affineModel } from './onnx-builder.js';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

const opened: OnnxVelocityModel[] = [];
afterAll(async () => {
  for (const m of opened) await m.dispose();
});

/** v = a x + b t + c on x [B, 2], t [B] (float64), with velocity metadata. */
function affineVelocity(metadata: Record<string, string>, names: { sigma?: string; out?: string } = {}): Uint8Array {
  return affineModel({ a: 0.5, b: -2, c: 0.25, sample: [2], type: 'float64', names: { sigma: names.sigma ?? 't', out: names.out ?? 'velocity' }, metadata });
}

describe('loadVelocityModel', () => {
  const meta = { 'phys.kind': 'denoiser', 'phys.parameterization': 'velocity', 'phys.path': 'trig', 'phys.prior': 'radial(uniform(0.5, 2))' };

  it('reads the path and prior from the metadata and runs v(x, t) in natural time', async () => {
    const m = await loadVelocityModel(affineVelocity(meta));
    opened.push(m);
    expect(m.path.name).toBe(trigPath().name);
    expect(m.prior.name).toBe('radial(uniform(0.5, 2))');
    const x = Tensor.from([1, 2, -1, 0.5], [2, 2], 'float64');
    const t = Float64Array.from([0.25, 1]);
    const v = await m.velocity(x, t);
    expect(Array.from(v.data)).toEqual([0.5 * 1 - 0.5 + 0.25, 0.5 * 2 - 0.5 + 0.25, -0.5 - 2 + 0.25, 0.25 - 2 + 0.25]);
    await expect(m.velocity(x, Float64Array.from([0, 0.5]))).rejects.toThrow(ValueError);
  });

  it('its denoiser is the sigma conversion x0 = (b v - b\' x)/(a\'b - b\'a) at x = a x~, t = t(sigma) (1e-12)', async () => {
    const m = await loadVelocityModel(affineVelocity(meta));
    opened.push(m);
    const xs = Tensor.from([0.3, -0.7, 2, 1], [2, 2], 'float64');
    const sigma = Float64Array.from([0.5, 4]);
    const got = await m.denoiser(xs, sigma);
    const path = trigPath();
    const t = Float64Array.from(sigma, (s) => path.tOfSigma(s));
    const x = Tensor.from(xs.data.map((q, k) => q * path.coefficients(t[Math.floor(k / 2)]!).a), [2, 2], 'float64');
    const want = velocityToDenoised(path, x, t, await m.velocity(x, t));
    expect(maxAbsDiff(got.data, want.data)).toBeLessThan(1e-12);
  });

  it('honours phys.input_t / phys.output names and options over metadata', async () => {
    const bytes = affineVelocity({ ...meta, 'phys.input_t': 'time', 'phys.output': 'v' }, { sigma: 'time', out: 'v' });
    const m = await loadVelocityModel(bytes, { path: 'straight' });
    opened.push(m);
    expect(m.path.name).toBe('straight');
    expect(m.info.names).toEqual({ x: 'x', sigma: 'time', output: 'v' });
  });

  it('refuses a velocity file in loadDenoiser, a denoiser file here, and a missing path', async () => {
    await expect(loadDenoiser(affineVelocity(meta))).rejects.toThrow(/loadVelocityModel/);
    await expect(loadVelocityModel(affineVelocity({ 'phys.parameterization': 'edm' }))).rejects.toThrow(ValueError);
    await expect(loadVelocityModel(affineVelocity({ 'phys.parameterization': 'velocity' }))).rejects.toThrow(/phys.path/);
    expect(() => parsePhysMetadata(new Map([['phys.path', ' ']]))).toThrow(ValueError);
  });
});

const SHIPPED = path.join(import.meta.dirname, '../../../examples/models/flow2d/flow2d-straight.onnx');

describe('the shipped 2-D flow-matching model (examples/models/flow2d)', () => {
  const means = Array.from({ length: 8 }, (_, k) => [3 * Math.cos((2 * Math.PI * k) / 8), 3 * Math.sin((2 * Math.PI * k) / 8)] as const);
  /** Mean distance to the nearest mixture mean and the number of modes holding >= 5% of the samples. */
  const score = (x: Tensor): { dist: number; modes: number } => {
    const counts = new Array<number>(8).fill(0);
    let dist = 0;
    for (let i = 0; i < x.rows; i++) {
      let best = Infinity;
      let k = 0;
      means.forEach(([mx, my], j) => {
        const d = Math.hypot(x.data[2 * i]! - mx, x.data[2 * i + 1]! - my);
        if (d < best) [best, k] = [d, j];
      });
      counts[k]!++;
      dist += best / x.rows;
    }
    return { dist, modes: counts.filter((c) => c >= 0.05 * x.rows).length };
  };

  it('samples all 8 modes in natural time (Heun, 8 steps) and through the sigma conversion (Heun, 18 steps)', async () => {
    const m = await loadVelocityModel(SHIPPED);
    opened.push(m);
    expect(m.path.name).toBe(straightPath().name);
    const x1 = m.prior.sample([2000, 2], new PhiloxRng(7));
    const natural = await flowSample(m.velocity, x1, flowTimes(8), { solver: 'heun' });
    const a = score(natural.x);
    expect(a.modes).toBe(8);
    expect(a.dist).toBeLessThan(0.4);
    const sigmas = edmSchedule({ steps: 18, sigmaMin: 0.002, sigmaMax: 80 });
    const xs = Tensor.from(x1.data.map((q) => 80 * q), x1.shape, 'float32');
    const viaSigma = await heunSample(m.denoiser, xs, sigmas);
    const b = score(viaSigma.x);
    expect(b.modes).toBe(8);
    expect(b.dist).toBeLessThan(0.4);
  });
});
