// On a machine with a CUDA device: the Backend reference suite of @phys/tensor, unchanged, against
// the CUDA backend, plus bit-exactness against the CPU reference at sizes that fill the GPU. Where
// no device exists the suites are skipped and the reason is printed.
import { CpuBackend, PhiloxRng, Tensor } from '@phys/tensor';
import { referenceSuite } from '../../tensor/test/reference-suite.js';
import { CudaBackend, loadAddon, selectDevice } from '../src/index.js';

// What createCudaBackend() does, synchronously: jest registers the suites before any test runs.
let gpu: CudaBackend | undefined;
let gpu32: CudaBackend | undefined;
let why = '';
try {
  const addon = loadAddon();
  const device = selectDevice(addon.probe());
  addon.init(device.ordinal);
  gpu = new CudaBackend(addon, device);
  gpu32 = new CudaBackend(addon, device, { precision: 'float32', adoptOutputs: true });
} catch (e) {
  why = e instanceof Error ? e.message : String(e);
}

if (!gpu || !gpu32) {
  console.warn(`CUDA reference suite skipped: ${why}`);
  it.skip(`CUDA reference suite (skipped: ${why})`, () => undefined);
} else {
  referenceSuite([
    ['cuda', gpu],
    ['cuda float32 GEMM, adopted outputs', gpu32],
  ]);
  const be = gpu;
  const be32 = gpu32;
  const cpu = new CpuBackend();
  const rng = new PhiloxRng(17);
  const bits = (t: Tensor): number[] => Array.from(t.data);

  describe(`CUDA device ${be.device.name} (sm_${be.device.major}${be.device.minor}) against the CPU reference`, () => {
    it('draws Philox normals and uniforms bit for bit at scale', () => {
      const draw = { key0: 0xdeadbeef, key1: 7, call: 3, sampleOffset: 0xffffff00, stream: 2 };
      for (const dtype of ['float32', 'float64'] as const) {
        for (const shape of [[64, 3072], [1000, 3], [3, 100001]]) {
          const want = cpu.philoxNormal(Tensor.zeros(shape, dtype), draw);
          expect(bits(be.philoxNormal(be.zeros(shape, dtype), draw))).toEqual(bits(want));
        }
        const r = new PhiloxRng(5, { sampleOffset: 9 });
        const u = r.uniform([300, 77], dtype);
        expect(bits(be.philoxUniform(be.zeros([300, 77], dtype), { key0: 5, key1: 0, call: 0, sampleOffset: 9, stream: 0 }))).toEqual(bits(u));
      }
    });

    it('fuses updates bit for bit (1 to 20 terms, per-row coefficients, mixed dtypes)', () => {
      for (const K of [1, 2, 3, 4, 5, 20]) {
        const xs = Array.from({ length: K }, (_, k) => rng.normal([64, 3072], k === 1 ? 'float64' : 'float32'));
        const terms = xs.map((x, k) => [k % 2 ? 0.25 * k : Float64Array.from({ length: 64 }, (_, r) => Math.sin(r + k)), x] as const);
        expect(bits(be.lincomb(terms))).toEqual(bits(cpu.lincomb(terms)));
      }
      const x = rng.normal([64, 3072]);
      expect(bits(be.scaleRows(x, 1 / 3))).toEqual(bits(cpu.scaleRows(x, 1 / 3)));
      expect(bits(be.mul(x, x))).toEqual(bits(cpu.mul(x, x)));
    });

    it('reduces rows, finds non-finite values, normalises rows', () => {
      const x = rng.normal([37, 4099], 'float64');
      const close = (a: Float64Array, b: Float64Array, tol: number): void => {
        a.forEach((v, i) => {
          expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!)));
        });
      };
      close(be.rowSum(x), cpu.rowSum(x), 1e-12);
      close(be.rowNormSq(x), cpu.rowNormSq(x), 1e-13);
      const big = rng.normal([1, 5_000_000]);
      expect(be.firstNonFinite(big)).toBe(-1);
      big.data[4_999_990] = NaN;
      big.data[3_000_001] = -Infinity;
      expect(be.firstNonFinite(big)).toBe(3_000_001);
      const logits = { data: (rng.normal([50, 4096], 'float64').data as Float64Array).map((v) => 300 * v), rows: 50, cols: 4096 };
      const ref = { ...logits, data: logits.data.slice() };
      close(be.softmaxRows(logits), cpu.softmaxRows(ref), 1e-14);
      close(logits.data, ref.data, 1e-12);
    });

    it('multiplies, measures distances and sums weights at GEMM sizes that are not multiples of the tiles', () => {
      const a = rng.normal([130, 70]);
      const b = rng.normal([70, 33]);
      const tol = (t: Tensor, r: Tensor, rel: number): void => {
        t.data.forEach((v, i) => {
          expect(Math.abs(v - r.data[i]!)).toBeLessThanOrEqual(rel * (1 + Math.abs(r.data[i]!)));
        });
      };
      tol(be.matmul(a, b), cpu.matmul(a, b), 1e-6); // float64 sums, one float32 rounding
      tol(be32.matmul(a, b), cpu.matmul(a, b), 1e-4); // float32 sums of 70 products
      const x = rng.normal([128, 3072]);
      const y = rng.normal([500, 3072]);
      y.data.set(x.data.subarray(0, 3072), 3072 * 7); // an exact duplicate: distance 0 by the guard
      const want = cpu.pairwiseSqDist(x, y);
      for (const [g, rel] of [[be, 1e-12], [be32, 1e-4]] as const) {
        const d = g.pairwiseSqDist(x, y);
        expect(d.data[7]).toBe(0);
        d.data.forEach((v, i) => {
          expect(Math.abs(v - want.data[i]!)).toBeLessThanOrEqual(rel * want.data[i]! + 1e-9);
        });
      }
      const w = { data: rng.uniform([128, 500], 'float64').data as Float64Array, rows: 128, cols: 500 };
      tol(be.weightedSum(w, y), cpu.weightedSum(w, y), 1e-6);
    });

    it('gives the same distances and products with and without cuBLAS (when cuBLAS loads here)', () => {
      if (!be.cublas) {
        console.warn(`cuBLAS not loaded (${be.cublasError ?? 'disabled'}): only the tiled kernels were checked`);
        return;
      }
      const x = rng.normal([256, 3072]);
      const y = rng.normal([1000, 3072]);
      for (const precision of ['float64', 'float32'] as const) {
        const [blas, tiled] = [new CudaBackend(be.addon, be.device, { precision }), new CudaBackend(be.addon, be.device, { precision, cublas: false })];
        const rel = precision === 'float64' ? 1e-12 : 1e-4;
        const [a, b] = [blas.pairwiseSqDist(x, y).data, tiled.pairwiseSqDist(x, y).data];
        a.forEach((v, i) => {
          expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(rel * b[i]!);
        });
        // float32 outputs: float64 sums may round to neighbouring float32 values; float32 sums differ more
        const [p, q] = [blas.matmul(x, y, { transB: true }).data, tiled.matmul(x, y, { transB: true }).data];
        p.forEach((v, i) => {
          expect(Math.abs(v - q[i]!)).toBeLessThanOrEqual((precision === 'float64' ? 2e-7 : 1e-4) * (1 + Math.abs(q[i]!)));
        });
      }
    });

    it('keeps a Heun-shaped loop on the device: no host copies until the result is read', () => {
      const x = be.toDevice(rng.normal([64, 3072]));
      const d = be.toDevice(rng.normal([64, 3072]));
      const xe = be.zeros([64, 3072]);
      const before = { ...be.transfers };
      for (let i = 0; i < 18; i++) {
        be.lincomb([[0.9, x], [0.1, d]], xe);
        be.lincomb([[0.5, x], [0.45, xe], [0.05, d]], x);
      }
      expect(be.transfers).toEqual(before);
      expect(be.firstNonFinite(x)).toBe(-1);
      expect(x.data.length).toBe(64 * 3072);
      expect(be.transfers.downloads).toBe(before.downloads + 1);
      for (const t of [x, d, xe]) t.dispose();
    });
  });
}
