import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { NonFiniteError, ShapeError, Tensor, ValueError, WasmBackend, type Denoiser } from '@phys/tensor';
import { vpSigmaInv } from '@phys/kernels';
import { expectClose, loadGolden } from '../../../test-support/golden.js';
import { ModelSignatureError, chooseThreads, loadDenoiser, type DenoiserOptions, type OnnxDenoiser } from '../src/index.js';
import { copyInto } from '../src/run.js';
import { affineModel, buildModel } from './onnx-builder.js';

const dir = mkdtempSync(path.join(tmpdir(), 'phys-onnx-den-'));
let fileCount = 0;
function file(bytes: Uint8Array): string {
  const f = path.join(dir, `m${fileCount++}.onnx`);
  writeFileSync(f, bytes);
  return f;
}

const opened: OnnxDenoiser[] = [];
async function load(bytes: Uint8Array | string, options: DenoiserOptions): Promise<OnnxDenoiser> {
  const m = await loadDenoiser(bytes, options);
  opened.push(m);
  return m;
}
afterAll(async () => {
  for (const m of opened) await m.dispose();
});

/** Runs a float64 affine model out = a*x_in + b*noise + c once per sigma on x = xValue (1 x 1 x 2 x 2 rows). */
async function affineD(parameterization: DenoiserOptions['parameterization'], abc: [number, number, number], sigmas: number[], xValue: number, options: DenoiserOptions = {}): Promise<number[]> {
  const [a, b, c] = abc;
  const m = await load(affineModel({ a, b, c, type: 'float64' }), { parameterization, ...options });
  const x = Tensor.from(new Array<number>(sigmas.length * 4).fill(xValue), [sigmas.length, 1, 2, 2], 'float64');
  const out = await m(x, Float64Array.from(sigmas));
  expect(out.dtype).toBe('float64');
  expect(out.shape).toEqual(x.shape);
  // Every element of a row is the same affine value.
  for (let r = 0; r < sigmas.length; r++) for (let j = 1; j < 4; j++) expect(out.data[4 * r + j]).toBe(out.data[4 * r]);
  return sigmas.map((_, r) => out.data[4 * r]!);
}

/** Reads c_skip, c_out, c_in, c_noise off the composed D with four affine networks (exact in float64). */
async function extractCoefficients(parameterization: DenoiserOptions['parameterization'], sigmas: number[], options: DenoiserOptions = {}) {
  const cSkip = await affineD(parameterization, [0, 0, 0], sigmas, 1, options); // D = c_skip * 1
  const cOut = await affineD(parameterization, [0, 0, 1], sigmas, 0, options); // D = c_out * 1
  const skipPlusOutIn = await affineD(parameterization, [1, 0, 0], sigmas, 1, options); // c_skip + c_out c_in
  const outNoise = await affineD(parameterization, [0, 1, 0], sigmas, 0, options); // c_out c_noise
  return {
    cSkip,
    cOut,
    cIn: sigmas.map((_, i) => (skipPlusOutIn[i]! - cSkip[i]!) / cOut[i]!),
    cNoise: sigmas.map((_, i) => outNoise[i]! / cOut[i]!),
  };
}

interface PrecondRow {
  sigma: number;
  c_skip: number;
  c_out: number;
  c_in: number;
  c_noise: number;
}
const golden = loadGolden<{ precond: Record<string, { params: Record<string, unknown>; rows: PrecondRow[] }> }>('edm.json').precond;

describe('parameterisations (golden edm.json precond: rtol 2e-6, atol 1e-7)', () => {
  test('edm-raw applies EDMPrecond (sigma_data 0.5, c_noise = ln(sigma)/4)', async () => {
    const rows = golden.EDMPrecond!.rows;
    const c = await extractCoefficients('edm-raw', rows.map((r) => r.sigma));
    expectClose(c.cSkip, rows.map((r) => r.c_skip), 2e-6, 1e-7, 'c_skip');
    expectClose(c.cOut, rows.map((r) => r.c_out), 2e-6, 1e-7, 'c_out');
    expectClose(c.cIn, rows.map((r) => r.c_in), 2e-6, 1e-7, 'c_in');
    expectClose(c.cNoise, rows.map((r) => r.c_noise), 2e-6, 1e-7, 'c_noise');
  });

  test('eps applies VPPrecond (D = x - sigma eps, c_noise = (M-1) t(sigma))', async () => {
    const { params, rows } = golden.VPPrecond!;
    expect(params).toMatchObject({ beta_d: 19.9, beta_min: 0.1, M: 1000 });
    const c = await extractCoefficients('eps', rows.map((r) => r.sigma));
    expectClose(c.cSkip, rows.map((r) => r.c_skip), 2e-6, 1e-7, 'c_skip');
    expectClose(c.cOut, rows.map((r) => r.c_out), 2e-6, 1e-7, 'c_out');
    expectClose(c.cIn, rows.map((r) => r.c_in), 2e-6, 1e-7, 'c_in');
    // The reference evaluates log(1 + sigma^2) in float32, which loses 1.3% at sigma = 0.002 and
    // 1.5e-4 at 0.01 (1 + 4e-6 rounds in float32). We compute t(sigma) in float64 (log1p), so those
    // rows are checked against the float64 formula instead; sigma >= 0.1 meets the golden tolerance.
    const big = rows.map((r, i) => [r, i] as const).filter(([r]) => r.sigma >= 0.1);
    expect(big.length).toBeGreaterThanOrEqual(6);
    expectClose(big.map(([, i]) => c.cNoise[i]!), big.map(([r]) => r.c_noise), 2e-6, 1e-7, 'c_noise');
    expectClose(c.cNoise, rows.map((r) => 999 * vpSigmaInv(r.sigma, { betaD: 19.9, betaMin: 0.1 })), 1e-12, 1e-14, 'c_noise (float64)');
    // vp.float32Reference reproduces the reference's float32 label on every row.
    const ref = await extractCoefficients('eps', rows.map((r) => r.sigma), { vp: { float32Reference: true } });
    expectClose(ref.cNoise, rows.map((r) => r.c_noise), 2e-6, 1e-7, 'c_noise (float32 reference)');
  });

  test("noiseInput 've' gives VEPrecond's c_noise = ln(sigma/2); 'sigma' passes sigma", async () => {
    const rows = golden.VEPrecond!.rows;
    const sig = rows.map((r) => r.sigma);
    const ve = await extractCoefficients('edm-raw', sig, { noiseInput: 've' });
    expectClose(ve.cNoise, rows.map((r) => r.c_noise), 2e-6, 1e-7, 'c_noise');
    const plain = await extractCoefficients('edm-raw', sig, { noiseInput: 'sigma' });
    expectClose(plain.cNoise, sig, 1e-12, 0, 'c_noise');
  });

  test('v: the exact v-network of a point mass denoises to the point (VP definitions, independent of EDM coefficients)', async () => {
    // Data = point mass at x0. In VP coordinates x_t = alpha x, alpha = 1/sqrt(1+sigma^2),
    // sigma_t = sigma alpha, and v = alpha eps - sigma_t x0 = (alpha x_t - x0)/sigma_t (Salimans & Ho).
    // The network sees x_in = x_t, so v is affine in x_in: a = alpha/sigma_t = 1/sigma, c = -x0/sigma_t.
    const x0 = 0.3;
    for (const sigma of [0.01, 0.7, 3, 80]) {
      const alpha = 1 / Math.sqrt(1 + sigma * sigma);
      const sigmaT = sigma * alpha;
      for (const x of [-2, 0.5, 11]) {
        const [D] = await affineD('v', [1 / sigma, 0, -x0 / sigmaT], [sigma], x);
        expect(Math.abs(D! - x0)).toBeLessThan(1e-12 * (1 + Math.abs(x) / sigma));
      }
    }
    // Its noise input is the same VP time label as eps models: (M-1) t(sigma).
    const sig = [0.002, 0.5, 10];
    const c = await extractCoefficients('v', sig);
    expectClose(c.cNoise, sig.map((s) => 999 * vpSigmaInv(s)), 1e-12, 1e-14, 'c_noise');
  });

  test('eps: the exact epsilon of a point mass denoises to the point', async () => {
    // x = x0 + sigma eps; the network sees x_in = x/sqrt(1+sigma^2): eps = (sqrt(1+sigma^2) x_in - x0)/sigma.
    const x0 = -0.4;
    for (const sigma of [0.002, 1, 50]) {
      for (const x of [-3, 0.25, 40]) {
        const [D] = await affineD('eps', [Math.sqrt(1 + sigma * sigma) / sigma, 0, -x0 / sigma], [sigma], x);
        expect(Math.abs(D! - x0)).toBeLessThan(1e-12 * (1 + Math.abs(x) / sigma));
      }
    }
  });

  test('edm: the output is D itself; options override the metadata', async () => {
    const bytes = affineModel({ a: 2, b: 3, c: 0.5, metadata: { 'phys.parameterization': 'edm-raw' } });
    const x = Tensor.from([1, 2, 3, 4, -1, -2, -3, -4], [2, 1, 2, 2]);
    const sigma = Float64Array.from([0.5, 2]);
    const asEdm = await load(bytes, { parameterization: 'edm' });
    expect(asEdm.info.parameterization).toBe('edm');
    expect(Array.from((await asEdm(x, sigma)).data)).toEqual([2 + 1.5 + 0.5, 4 + 2, 6 + 2, 8 + 2, -2 + 6.5, -4 + 6.5, -6 + 6.5, -8 + 6.5]);
    const raw = await load(bytes, {});
    expect(raw.info.parameterization).toBe('edm-raw');
    expect(Array.from((await raw(x, sigma)).data)).not.toEqual(Array.from((await asEdm(x, sigma)).data));
  });
});

describe('metadata and info', () => {
  test('a PFGM++ model: kernel, D, sigma range, image shape and names come from phys.* metadata', async () => {
    const bytes = affineModel({
      a: 1,
      b: 0,
      c: 0,
      names: { x: 'images', sigma: 'noise', out: 'out' },
      metadata: {
        'phys.kind': 'denoiser',
        'phys.parameterization': 'edm',
        'phys.kernel': 'pfgmpp',
        'phys.D': '128',
        'phys.sigma_min': '0.002',
        'phys.sigma_max': '80',
        'phys.image_shape': '1,2,2',
        'phys.input_x': 'images',
        'phys.input_sigma': 'noise',
        'phys.output': 'out',
        'phys.provenance': 'unit test',
      },
    });
    const m = await load(bytes, {});
    expect(m.info).toMatchObject({
      parameterization: 'edm',
      kernel: { kind: 'pfgmpp', D: 128 },
      sigmaMin: 0.002,
      sigmaMax: 80,
      imageShape: [1, 2, 2],
      valueRange: [-1, 1],
      names: { x: 'images', sigma: 'noise', output: 'out' },
      types: { x: 'float32', sigma: 'float32', output: 'float32' },
      provenance: 'unit test',
      threads: 1,
    });
    const over = await load(bytes, { D: 2048, sigmaMax: 40 });
    expect(over.info.kernel).toEqual({ kind: 'pfgmpp', D: 2048 });
    expect(over.info.sigmaMax).toBe(40);
  });

  test('kernel defaults: finite D -> pfgmpp, eps/v -> vp, else edm', async () => {
    const bytes = affineModel({ a: 1, b: 0, c: 0 });
    expect((await load(bytes, { parameterization: 'edm', D: 64 })).info.kernel).toEqual({ kind: 'pfgmpp', D: 64 });
    expect((await load(bytes, { parameterization: 'eps' })).info.kernel).toEqual({ kind: 'vp', D: Infinity });
    expect((await load(bytes, { parameterization: 'edm' })).info.kernel).toEqual({ kind: 'edm', D: Infinity });
  });

  test('inconsistent or missing settings throw ValueError naming the setting', async () => {
    const bytes = affineModel({ a: 1, b: 0, c: 0 });
    await expect(loadDenoiser(bytes, {})).rejects.toThrow(/parameterization: expected one of 'edm'/);
    await expect(loadDenoiser(bytes, { parameterization: 'edm', kernel: 'pfgmpp' })).rejects.toThrow(/D: expected the PFGM\+\+ augmented dimension/);
    await expect(loadDenoiser(bytes, { parameterization: 'edm', kernel: 'vp', D: 16 })).rejects.toThrow(ValueError);
    await expect(loadDenoiser(bytes, { parameterization: 'edm', D: -1 })).rejects.toThrow(/D: expected a number > 0/);
    await expect(loadDenoiser(bytes, { parameterization: 'edm', chunkSize: 0 })).rejects.toThrow(/chunkSize/);
    await expect(loadDenoiser(affineModel({ a: 1, b: 0, c: 0, metadata: { 'phys.kind': 'classifier' } }), {})).rejects.toThrow(/phys\.kind.*use loadClassifier/);
    await expect(loadDenoiser(affineModel({ a: 1, b: 0, c: 0, metadata: { 'phys.D': 'many' } }), {})).rejects.toThrow(/metadata phys\.D/);
    await expect(loadDenoiser(path.join(dir, 'missing.onnx'), {})).rejects.toThrow(/model: expected an existing ONNX file/);
  });
});

describe('signature validation before the first call', () => {
  const catchSig = async (bytes: Uint8Array, options: DenoiserOptions): Promise<ModelSignatureError> => {
    try {
      await loadDenoiser(bytes, { parameterization: 'edm', ...options });
    } catch (e) {
      if (e instanceof ModelSignatureError) return e;
      throw e;
    }
    throw new Error('expected a ModelSignatureError');
  };

  test('wrong names: lists expected vs found and the whole signature', async () => {
    const e = await catchSig(affineModel({ a: 1, b: 0, c: 0, names: { x: 'img', sigma: 't', out: 'y' } }), {});
    expect(e.problems.map((p) => [p.role, p.name])).toEqual([
      ['input', 'x'],
      ['input', 'sigma'],
      ['output', 'denoised'],
      ['input', 'img'],
      ['input', 't'],
    ]);
    expect(e.problems[0]!.found).toMatch(/missing \(the model's inputs are 'img', 't'\)/);
    expect(e.message).toMatch(/input +'img': float32 \[B, 1, 2, 2\]/);
    expect(e.message).toMatch(/output +'y': float32 \[B, 1, 2, 2\]/);
  });

  test('wrong image shape: expected vs found shapes', async () => {
    const e = await catchSig(affineModel({ a: 1, b: 0, c: 0 }), { imageShape: [1, 28, 28] });
    expect(e.problems[0]).toEqual({ role: 'input', name: 'x', expected: 'float32 or float64 [B, 1, 28, 28]', found: 'float32 [B, 1, 2, 2]' });
    expect(e.problems.some((p) => p.role === 'output' && p.name === 'denoised')).toBe(true);
  });

  test('wrong element type and wrong sigma rank', async () => {
    const bytes = buildModel({
      inputs: [
        { name: 'x', type: 'int32', shape: ['B', 4] },
        { name: 'sigma', type: 'float32', shape: ['B', 4] },
      ],
      outputs: [{ name: 'denoised', type: 'int32', shape: ['B', 4] }],
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['denoised'] }],
    });
    const e = await catchSig(bytes, {});
    expect(e.problems).toEqual([
      { role: 'input', name: 'x', expected: 'float32 or float64 [B, 4]', found: 'int32 [B, 4]' },
      { role: 'input', name: 'sigma', expected: 'float32 or float64 [B] (or [B, 1, ...])', found: 'float32 [B, 4]' },
      { role: 'output', name: 'denoised', expected: 'float32 or float64 [B, 4]', found: 'int32 [B, 4]' },
    ]);
  });

  test('an extra model input is reported (nothing would feed it)', async () => {
    const bytes = buildModel({
      inputs: [
        { name: 'x', type: 'float32', shape: ['B', 4] },
        { name: 'sigma', type: 'float32', shape: ['B'] },
        { name: 'class_labels', type: 'float32', shape: ['B', 10] },
      ],
      outputs: [{ name: 'denoised', type: 'float32', shape: ['B', 4] }],
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['denoised'] }],
    });
    const e = await catchSig(bytes, {});
    expect(e.problems).toEqual([{ role: 'input', name: 'class_labels', expected: 'absent (nothing would feed it)', found: 'float32 [B, 10]' }]);
  });

  test('symbolic sample dims need an image shape', async () => {
    const bytes = buildModel({
      inputs: [
        { name: 'x', type: 'float32', shape: ['B', 'C'] },
        { name: 'sigma', type: 'float32', shape: ['B'] },
      ],
      outputs: [{ name: 'denoised', type: 'float32', shape: ['B', 'C'] }],
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['denoised'] }],
    });
    await expect(loadDenoiser(bytes, { parameterization: 'edm' })).rejects.toThrow(/imageShape: expected the sample shape/);
    const m = await load(bytes, { parameterization: 'edm', imageShape: [3] });
    expect(Array.from((await m(Tensor.from([1, 2, 3], [1, 3]), Float64Array.of(1))).data)).toEqual([1, 2, 3]);
  });

  test('bad call arguments: x shape, sigma length and values', async () => {
    const m = await load(affineModel({ a: 1, b: 0, c: 0 }), { parameterization: 'edm' });
    await expect(m(Tensor.zeros([2, 1, 3, 3]), Float64Array.of(1, 1))).rejects.toThrow(ShapeError);
    await expect(m(Tensor.zeros([2, 1, 3, 3]), Float64Array.of(1, 1))).rejects.toThrow(/x: expected shape \[B, 1, 2, 2\], found \[2, 1, 3, 3\]/);
    await expect(m(Tensor.zeros([2, 1, 2, 2]), Float64Array.of(1))).rejects.toThrow(/sigma\.length: expected 2/);
    await expect(m(Tensor.zeros([2, 1, 2, 2]), Float64Array.of(1, 0))).rejects.toThrow(/sigma\[1\]: expected a finite noise level > 0, got 0/);
    await expect(m(Tensor.zeros([2, 1, 2, 2]), Float64Array.of(NaN, 1))).rejects.toThrow(ValueError);
  });

  test('a model producing Inf/NaN throws NonFiniteError naming the output', async () => {
    const m = await load(affineModel({ a: Infinity, b: 0, c: 0 }), { parameterization: 'edm' });
    await expect(m(Tensor.zeros([1, 1, 2, 2]), Float64Array.of(1))).rejects.toThrow(NonFiniteError);
    await expect(m(Tensor.zeros([1, 1, 2, 2]), Float64Array.of(1))).rejects.toThrow(/output 'denoised'/);
    const unchecked = await load(affineModel({ a: Infinity, b: 0, c: 0 }), { parameterization: 'edm', checkFinite: false });
    expect(Number.isNaN((await unchecked(Tensor.zeros([1, 1, 2, 2]), Float64Array.of(1))).data[0])).toBe(true);
  });
});

describe('chunking, dtypes, fixed batches', () => {
  const rows = 10;
  const x32 = Tensor.from(Array.from({ length: rows * 4 }, (_, i) => Math.sin(i) * 3), [rows, 1, 2, 2]);
  const sigma = Float64Array.from({ length: rows }, (_, i) => 0.01 * 3 ** (i / 2));

  test('chunks give the same result as one call and report progress', async () => {
    const bytes = affineModel({ a: 0.5, b: 1, c: 0.1 });
    const whole = await load(bytes, { parameterization: 'edm-raw', chunkSize: Infinity });
    const chunked = await load(bytes, { parameterization: 'edm-raw', chunkSize: 3 });
    const progress: number[] = [];
    const a = await whole(x32, sigma);
    const b = await chunked.denoise(x32, sigma, { onChunk: (p) => progress.push(p.rows) });
    expect(progress).toEqual([3, 6, 9, 10]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    // Per-call override.
    const progress2: number[] = [];
    await chunked.denoise(x32, sigma, { chunkSize: 4, onChunk: (p) => progress2.push(p.chunk) });
    expect(progress2).toEqual([1, 2, 3]);
  });

  test('float64 tensors convert once and return float64; a float64 model keeps full precision', async () => {
    const bytes32 = affineModel({ a: 0.5, b: 1, c: 0.1 });
    const m32 = await load(bytes32, { parameterization: 'edm-raw', chunkSize: 4 });
    const x64 = x32.astype('float64');
    const r32 = await m32(x32, sigma);
    const r64 = await m32(x64, sigma);
    expect(r64.dtype).toBe('float64');
    expectClose(r64.data, r32.data, 1e-6, 1e-6, 'float64 via float32 model');
    const m64 = await load(affineModel({ a: 0.5, b: 1, c: 0.1, type: 'float64' }), { parameterization: 'edm-raw' });
    const exact = await m64(x64, sigma);
    // D = c_skip x + c_out (0.5 c_in x + ln(sigma)/4 + 0.1), sigma_data = 0.5 (EDM Table 1).
    const expected = Array.from(x64.data, (v, i) => {
      const s = sigma[Math.floor(i / 4)]!;
      const q = s * s + 0.25;
      return (0.25 / q) * v + ((s * 0.5) / Math.sqrt(q)) * (0.5 * v / Math.sqrt(q) + Math.log(s) / 4 + 0.1);
    });
    expectClose(exact.data, expected, 1e-13, 1e-14, 'float64 edm-raw');
  });

  test('a fixed-batch model is fed padded chunks of its batch size', async () => {
    const bytes = affineModel({ a: 2, b: 1, c: 0, batch: 4 });
    const m = await load(bytes, { parameterization: 'edm' });
    expect(m.info.fixedBatch).toBe(4);
    const seen: number[] = [];
    const out = await m.denoise(x32, sigma, { chunkSize: 100, onChunk: (p) => seen.push(p.rows) });
    expect(seen).toEqual([4, 8, 10]);
    const expected = Array.from(x32.data, (v, i) => Math.fround(Math.fround(2 * v) + Math.fround(sigma[Math.floor(i / 4)]!)));
    expect(Array.from(out.data)).toEqual(expected);
  });

  test('fixedShape pads every call to chunkSize rows and returns the unpadded rows unchanged', async () => {
    const m = await load(affineModel({ a: 0.5, b: 1, c: 0.1 }), { parameterization: 'edm-raw', chunkSize: 4, fixedShape: true });
    expect(m.info.fixedShape).toBe(true);
    const fed: number[] = [];
    const session = m.session as unknown as { run: (feeds: Record<string, { dims: readonly number[] }>, ...rest: unknown[]) => unknown };
    const run = session.run.bind(session);
    session.run = (feeds, ...rest) => {
      fed.push(feeds.x!.dims[0]!);
      return run(feeds, ...rest);
    };
    const out = await m.denoise(x32, sigma);
    // 10 rows in chunks of 4: 4, 4 and 2 rows padded to 4.
    expect(fed).toEqual([4, 4, 4]);
    const plain = await load(affineModel({ a: 0.5, b: 1, c: 0.1 }), { parameterization: 'edm-raw', chunkSize: 4 });
    expect(plain.info.fixedShape).toBe(false);
    expect(Array.from(out.data)).toEqual(Array.from((await plain(x32, sigma)).data));
    await expect(m.denoise(x32, sigma, { chunkSize: Infinity })).rejects.toThrow(/chunkSize.*fixedShape/);
  });

  test('sigma declared as [B, 1, 1, 1] is fed in that shape', async () => {
    const m = await load(affineModel({ a: 0, b: 1, c: 0, sigmaShape: ['B', 1, 1, 1] }), { parameterization: 'edm' });
    const out = await m(Tensor.zeros([2, 1, 2, 2]), Float64Array.of(0.5, 4));
    expect(Array.from(out.data)).toEqual([0.5, 0.5, 0.5, 0.5, 4, 4, 4, 4]);
  });

  test('out: the result is written into a given tensor', async () => {
    const m = await load(affineModel({ a: 0.5, b: 1, c: 0.1 }), { parameterization: 'edm-raw', chunkSize: 3 });
    const expected = await m(x32, sigma);
    const out = Tensor.zeros(x32.shape);
    const got = await m.denoise(x32, sigma, { out });
    expect(got).toBe(out);
    expect(Array.from(out.data)).toEqual(Array.from(expected.data));
    await expect(m.denoise(x32, sigma, { out: Tensor.zeros(x32.shape, 'float64') })).rejects.toThrow(/out\.dtype/);
    await expect(m.denoise(x32, sigma, { out: Tensor.zeros([rows, 4]) })).rejects.toThrow(ShapeError);
    await expect(m.denoise(x32, sigma, { out: x32 })).rejects.toThrow(/does not share memory/);
  });

  test('tensors resident in a threaded WasmBackend (shared memory) as x and out', async () => {
    const be = new WasmBackend({ threads: 2 });
    const m = await load(affineModel({ a: 0.5, b: 1, c: 0.1 }), { parameterization: 'edm' });
    const expected = await m(x32, sigma);
    const x = be.clone(x32);
    expect(Array.from((await m(x, sigma)).data)).toEqual(Array.from(expected.data));
    const out = be.zeros(x32.shape); // same memory as x, no overlap
    expect(await m.denoise(x, sigma, { out })).toBe(out);
    expect(Array.from(out.data)).toEqual(Array.from(expected.data));
    await expect(m.denoise(x, sigma, { out: x })).rejects.toThrow(/does not share memory/);
    be.close();
  });

  test('an empty batch returns an empty tensor without running', async () => {
    const m = await load(affineModel({ a: 1, b: 0, c: 0 }), { parameterization: 'edm' });
    expect((await m(Tensor.zeros([0, 1, 2, 2]), new Float64Array(0))).shape).toEqual([0, 1, 2, 2]);
  });

  test('loads from a path as well as from bytes', async () => {
    const m = await load(file(affineModel({ a: 3, b: 0, c: 0 })), { parameterization: 'edm' });
    expect(m.info.source).toMatch(/\.onnx$/);
    expect(Array.from((await m(Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]), Float64Array.of(1))).data)).toEqual([3, 6, 9, 12]);
  });

  test('the OnnxDenoiser is a Denoiser', async () => {
    const m: Denoiser = await load(affineModel({ a: 1, b: 0, c: 0 }), { parameterization: 'edm' });
    expect(typeof m).toBe('function');
  });
});

describe('cancellation between chunks', () => {
  const x = Tensor.zeros([12, 1, 2, 2]);
  const sigma = new Float64Array(12).fill(1);

  test('an aborted signal rejects before any chunk runs', async () => {
    const m = await load(affineModel({ a: 1, b: 0, c: 0 }), { parameterization: 'edm', chunkSize: 4 });
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    let chunks = 0;
    await expect(m.denoise(x, sigma, { signal: ac.signal, onChunk: () => chunks++ })).rejects.toThrow('stop');
    expect(chunks).toBe(0);
  });

  test('an abort from another event-loop task stops the call after the running chunk', async () => {
    const ac = new AbortController();
    const m = await load(affineModel({ a: 1, b: 0, c: 0 }), { parameterization: 'edm', chunkSize: 4, signal: ac.signal });
    // The first chunk is scheduled with setImmediate by onnxruntime; this immediate runs before it.
    setImmediate(() => {
      ac.abort();
    });
    await expect(m(x, sigma)).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('an abort inside onChunk stops the remaining chunks', async () => {
    const m = await load(affineModel({ a: 1, b: 0, c: 0 }), { parameterization: 'edm', chunkSize: 4 });
    const ac = new AbortController();
    const done: number[] = [];
    await expect(
      m.denoise(x, sigma, {
        signal: ac.signal,
        onChunk: (p) => {
          done.push(p.rows);
          ac.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(done).toEqual([4]);
  });
});

describe('threads', () => {
  test('1 thread for tiny models, the core count for larger ones, never more than the cores', async () => {
    expect(chooseThreads('auto', 1000, 2)).toBe(1);
    expect(chooseThreads(undefined, 5 << 20, 2)).toBe(2);
    expect(chooseThreads(8, 5 << 20, 2)).toBe(2);
    expect(chooseThreads(1, 5 << 20, 16)).toBe(1);
    expect(() => chooseThreads(0, 10, 2)).toThrow(/threads/);
    const tiny = await load(affineModel({ a: 1, b: 0, c: 0 }), { parameterization: 'edm' });
    expect(tiny.info.threads).toBe(1);
    const big = await load(affineModel({ a: 1, b: 0, c: 0, padBytes: 2 << 20 }), { parameterization: 'edm' });
    expect(big.info.threads).toBe(availableParallelism());
  });
});

describe('copy helper', () => {
  test('copyInto converts between float32 and float64 at an offset', () => {
    const src64 = Float64Array.of(0.1, -2, 1e-40);
    const d32 = new Float32Array(5);
    copyInto(d32, src64, 1);
    expect(Array.from(d32)).toEqual([0, Math.fround(0.1), -2, Math.fround(1e-40), 0]);
    const d64 = new Float64Array(3);
    copyInto(d64, d32.subarray(1, 4));
    expect(Array.from(d64)).toEqual([Math.fround(0.1), -2, Math.fround(1e-40)]);
  });
});
