// The JavaScript wrapper of the CUDA backend over a simulated device (test/fake-addon.ts): the
// Backend reference suite unchanged, host <-> device copies only at the boundaries, device views,
// scopes and disposal.
import { CpuBackend, PhiloxRng, Tensor, ValueError } from '@phys/tensor';
import { referenceSuite } from '../../tensor/test/reference-suite.js';
import { CudaBackend, CudaTensor, isDeviceResident } from '../src/index.js';
import { FakeAddon } from './fake-addon.js';

const make = (options: ConstructorParameters<typeof CudaBackend>[2] = {}): { be: CudaBackend; fake: FakeAddon } => {
  const fake = new FakeAddon();
  const be = new CudaBackend(fake, fake.probe().devices![0]!, options);
  return { be, fake };
};

referenceSuite([
  ['cuda wrapper (simulated device)', make().be],
  ['cuda wrapper, float32 GEMM, adopted outputs (simulated device)', make({ precision: 'float32', adoptOutputs: true }).be],
]);

const cpu = new CpuBackend();
const rng = new PhiloxRng(7);
const copies = (fake: FakeAddon): { up: number; down: number } => ({
  up: fake.log.filter((l) => l === 'upload').length,
  down: fake.log.filter((l) => l === 'download').length,
});

describe('device residency', () => {
  it('keeps a loop of updates on the device: no copies until the host reads the result, then one', () => {
    const { be, fake } = make();
    const x0 = rng.normal([4, 6]);
    const d0 = rng.normal([4, 6]);
    const x = be.toDevice(x0);
    const d = be.toDevice(d0);
    const xe = be.zeros([4, 6]);
    fake.log.length = 0;
    for (let i = 0; i < 5; i++) {
      be.lincomb([[0.9, x], [0.1, d]], xe); // Euler
      be.lincomb([[0.5, x], [0.4, xe], [0.1, d]], x); // Heun correction
    }
    expect(copies(fake)).toEqual({ up: 0, down: 0 });
    const host = x0.clone();
    const dh = d0;
    const xeh = Tensor.zeros([4, 6]);
    for (let i = 0; i < 5; i++) {
      cpu.lincomb([[0.9, host], [0.1, dh]], xeh);
      cpu.lincomb([[0.5, host], [0.4, xeh], [0.1, dh]], host);
    }
    fake.log.length = 0;
    expect(Array.from(x.data)).toEqual(Array.from(host.data));
    expect(x.data).toBe(x.data); // one host mirror, read once
    expect(copies(fake)).toEqual({ up: 0, down: 1 });
  });

  it('uploads a host mirror the host may have written before the device reads it again', () => {
    const { be, fake } = make();
    const x = be.toDevice(Tensor.from([1, 2, 3, 4], [2, 2]));
    x.data[0] = 10;
    fake.log.length = 0;
    expect(Array.from(be.scaleRows(x, 2).data)).toEqual([20, 4, 6, 8]);
    expect(copies(fake)).toEqual({ up: 1, down: 1 });
  });

  it('hands out a read-only host copy without uploading it again, and a write buffer without downloading', () => {
    const { be, fake } = make();
    const x = be.toDevice(Tensor.from([1, 2, 3, 4], [2, 2]));
    fake.log.length = 0;
    expect(Array.from(x.readData())).toEqual([1, 2, 3, 4]);
    expect(x.readData()).toBe(x.readData()); // downloaded once
    be.scaleRows(x, 2, x); // the device copy is still current: no upload
    expect(copies(fake)).toEqual({ up: 0, down: 1 });
    const out = be.zeros([2, 2]);
    fake.log.length = 0;
    out.writeData().set([5, 6, 7, 8]); // no download of the zeros about to be overwritten
    expect(copies(fake)).toEqual({ up: 0, down: 0 });
    expect(Array.from(be.scaleRows(out, -1).data)).toEqual([-5, -6, -7, -8]);
    expect(copies(fake)).toEqual({ up: 1, down: 1 });
    // a write into part of an allocation downloads the rest first, so it is not lost
    const rows = x.sliceRows(1, 2);
    fake.log.length = 0;
    rows.writeData().set([0, 0]);
    expect(Array.from(be.scaleRows(x, 1).data)).toEqual([2, 4, 0, 0]);
    expect(copies(fake)).toEqual({ up: 1, down: 2 });
    // ... and is uploaded once: later device reads of x copy nothing
    fake.log.length = 0;
    be.scaleRows(x, 2, x);
    be.scaleRows(x, 2, x);
    expect(copies(fake)).toEqual({ up: 0, down: 0 });
    // host tensors: both are `data` itself
    const h = Tensor.from([1, 2], [1, 2]);
    expect(h.readData()).toBe(h.data);
    expect(h.writeData()).toBe(h.data);
  });

  it('adopts host outputs that own their array, copies into views of another array', () => {
    const { be, fake } = make({ adoptOutputs: true });
    const x = Tensor.from([1, 2, 3, 4], [2, 2]);
    const out = Tensor.zeros([2, 2]);
    const array = out.data;
    be.scaleRows(x, 3, out);
    expect(isDeviceResident(out)).toBe(true);
    expect(out.data).toBe(array); // the same array object, refreshed from the device
    expect(Array.from(array)).toEqual([3, 6, 9, 12]);
    const big = Tensor.zeros([4, 2]);
    be.scaleRows(x, 1, big.sliceRows(2, 4));
    expect(isDeviceResident(big)).toBe(false);
    expect(Array.from(big.data)).toEqual([0, 0, 0, 0, 1, 2, 3, 4]);
    expect(fake.live).toBe(1); // only the adopted output holds device memory
    be.scaleRows(out, 2, out);
    out.dispose(); // hands the tensor back to the host with its latest values
    expect(fake.live).toBe(0);
    expect(isDeviceResident(out)).toBe(false);
    expect(out.data).toBe(array);
    expect(Array.from(out.data)).toEqual([6, 12, 18, 24]);
    expect(out.dtype).toBe('float32');
    out.dispose();
  });

  it('reshapes, slices, clones and casts on the device', () => {
    const { be, fake } = make();
    const x = be.toDevice(Tensor.from([1, 2, 3, 4, 5, 6], [3, 2]));
    fake.log.length = 0;
    const rows = x.sliceRows(1, 3);
    const flat = x.reshape([6]);
    const c = x.clone();
    const f64 = x.astype('float64');
    for (const t of [rows, flat, c, f64]) expect(t).toBeInstanceOf(CudaTensor);
    be.scaleRows(rows, -1, rows);
    expect(copies(fake)).toEqual({ up: 0, down: 0 });
    expect(Array.from(flat.data)).toEqual([1, 2, -3, -4, -5, -6]);
    expect(Array.from(rows.data)).toEqual([-3, -4, -5, -6]);
    expect(Array.from(c.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(f64.dtype).toBe('float64');
    expect(Array.from(f64.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps distances and weights on the device from pairwiseSqDist through softmaxRows to weightedSum', () => {
    const { be, fake } = make();
    const x = be.toDevice(rng.normal([3, 5]));
    const y = be.toDevice(rng.normal([4, 5]));
    fake.log.length = 0;
    const d = be.pairwiseSqDist(x, y);
    be.scaleMatrixRows(d, Float64Array.of(-0.5, -1, -2));
    be.softmaxRows(d);
    const m = be.weightedSum(d, y);
    expect(copies(fake)).toEqual({ up: 0, down: 0 });
    const dh = cpu.pairwiseSqDist(Tensor.from(x.data, [3, 5]), Tensor.from(y.data, [4, 5]));
    dh.data.forEach((v, i) => (dh.data[i] = v * [-0.5, -1, -2][Math.floor(i / 4)]!));
    cpu.softmaxRows(dh);
    const mh = cpu.weightedSum(dh, Tensor.from(y.data, [4, 5]));
    m.data.forEach((v, i) => {
      expect(v).toBeCloseTo(mh.data[i]!, 6);
    });
  });
});

describe('memory', () => {
  it('frees what a scope made except its result, also for async bodies', async () => {
    const { be, fake } = make();
    const x = be.toDevice(rng.normal([2, 3]));
    const before = fake.live;
    const kept = be.scope(() => {
      const a = be.scaleRows(x, 2);
      const b = be.axpby(1, a, 1, x);
      be.pairwiseSqDist(a, b);
      return be.mul(a, b);
    });
    expect(fake.live).toBe(before + 1);
    const pair = await be.scope(async () => {
      await Promise.resolve();
      return { p: be.scaleRows(x, 3), q: [be.scaleRows(x, 4)] };
    });
    expect(fake.live).toBe(before + 3);
    expect(Array.from(pair.q[0]!.data)).toEqual(Array.from(x.data, (v) => 4 * v));
    for (const t of [kept, pair.p, pair.q[0]!, x]) t.dispose();
    expect(fake.live).toBe(0);
  });

  it('frees an allocation when its last view is disposed; a disposed tensor is not readable', () => {
    const { be, fake } = make();
    const x = be.toDevice(Tensor.from([1, 2, 3, 4], [2, 2]));
    const v = x.reshape([4]);
    x.dispose();
    x.dispose();
    expect(fake.live).toBe(1);
    expect(Array.from(v.data)).toEqual([1, 2, 3, 4]);
    v.dispose();
    expect(fake.live).toBe(0);
    expect(() => v.data).toThrow(ValueError);
    expect(() => be.scaleRows(v, 1)).toThrow(/disposed/);
  });

  it('frees the temporary uploads of host inputs', () => {
    const { be, fake } = make();
    be.rowSum(rng.normal([3, 4]));
    be.firstNonFinite(rng.normal([3, 4]));
    be.softmaxRows({ data: Float64Array.of(1, 2), rows: 1, cols: 2 });
    be.philoxNormal(Tensor.zeros([2, 2]), { key0: 1, key1: 2, call: 3, sampleOffset: 4, stream: 5 });
    expect(fake.live).toBe(0);
  });
});

describe('operations beyond the reference suite', () => {
  it('sums more terms than one kernel takes exactly like the reference', () => {
    const { be } = make();
    const xs = Array.from({ length: 40 }, () => rng.normal([2, 3]));
    const terms = xs.map((x, k) => [k % 3 === 0 ? Float64Array.of(0.3 * k, -1 / (k + 1)) : 1 / (k + 1), x] as const);
    expect(Array.from(be.lincomb(terms).data)).toEqual(Array.from(cpu.lincomb(terms).data));
  });

  it("computes softmaxRows with exp: 'float32' in float64, like the default, and rejects other precisions", () => {
    const { be } = make();
    const z = Float64Array.from(rng.normal([3, 7], 'float64').data, (v) => 20 * v);
    const a = { data: z.slice(), rows: 3, cols: 7 };
    const b = { data: z.slice(), rows: 3, cols: 7 };
    expect(Array.from(be.softmaxRows(a, { exp: 'float32' }))).toEqual(Array.from(be.softmaxRows(b)));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(() => be.softmaxRows(b, { exp: 'float16' as 'float32' })).toThrow(ValueError);
  });

  it('scales the rows of a host matrix in place', () => {
    const { be, fake } = make();
    const m = { data: Float64Array.of(1, 2, 3, 4), rows: 2, cols: 2 };
    expect(be.scaleMatrixRows(m, Float64Array.of(2, -1))).toBe(m);
    expect(Array.from(m.data)).toEqual([2, 4, -3, -4]);
    expect(() => be.scaleMatrixRows(m, Float64Array.of(1))).toThrow(/per-row/);
    expect(fake.live).toBe(0);
  });

  it('draws Philox uniforms like PhiloxRng.uniform', () => {
    const { be } = make();
    for (const dtype of ['float32', 'float64'] as const) {
      const r = new PhiloxRng(99, { sampleOffset: 5, stream: 2 });
      const ref = r.uniform([3, 5], dtype);
      const got = be.philoxUniform(Tensor.zeros([3, 5], dtype), { key0: 99, key1: 0, call: 0, sampleOffset: 5, stream: 2 });
      expect(Array.from(got.data)).toEqual(Array.from(ref.data));
    }
  });

  it('uses cuBLAS only when it loaded, and not at all when told so', () => {
    const fake = new FakeAddon();
    const device = fake.probe().devices![0]!;
    const none = new CudaBackend(fake, device);
    expect(none.cublas).toBeUndefined();
    expect(none.cublasError).toMatch(/no cuBLAS/);
    expect(fake.log).toContain('cublas libcublas.so.13,libcublas.so.12,libcublas.so,/usr/local/cuda/lib64/libcublas.so.13,/usr/local/cuda/lib64/libcublas.so.12');
    fake.blasPath = '/opt/libcublas.so.13';
    const withBlas = new CudaBackend(fake, device, { cublas: '/opt/libcublas.so.13' });
    expect(withBlas.name).toBe('cuda:Fake GPU+cublas');
    fake.log.length = 0;
    withBlas.pairwiseSqDist(rng.normal([2, 3]), rng.normal([4, 3]));
    expect(fake.log).toContain('gemm exact=1 cublas=1');
    fake.log.length = 0;
    const off = new CudaBackend(fake, device, { cublas: false });
    off.matmul(rng.normal([2, 3]), rng.normal([3, 2]));
    expect(fake.log).toEqual(['upload', 'upload', 'gemm exact=1 cublas=0']);
  });

  it('runs the products in float64 or in float32 as asked', () => {
    for (const precision of ['float64', 'float32'] as const) {
      const { be, fake } = make({ precision });
      be.matmul(rng.normal([2, 3]), rng.normal([3, 2]));
      expect(fake.log).toContain(`gemm exact=${precision === 'float64' ? 1 : 0} cublas=0`);
    }
    expect(() => make({ precision: 'half' as 'float32' })).toThrow(ValueError);
  });
});
