// Smoke test of the models shipped with the CLI (packages/cli/models/*.onnx, trained by
// tools/fashion): they load through their phys.* metadata and return finite values of the right
// shape. Skipped, with a message, in a checkout without those files.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhiloxRng, Tensor } from '@phys/tensor';
import { edmKernel, pfgmppKernel } from '@phys/kernels';
import { loadClassifier, loadDenoiser, readModelHeaderFromFile } from '../src/index.js';

const modelsDir = process.env.PHYS_MODELS_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/models');
const files = existsSync(modelsDir) ? readdirSync(modelsDir).filter((f) => f.endsWith('.onnx')).map((f) => path.join(modelsDir, f)) : [];
/** phys.kind of each file, read in beforeAll. */
const kinds = new Map<string, string>();

const suite = files.length > 0 ? describe : describe.skip;
const dataDir = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const haveData = existsSync(path.join(dataDir, 't10k-images-idx3-ubyte.gz'));

/** The first `n` Fashion-MNIST test images in [-1, 1] (as tools/fashion trains) and their labels. */
function fashionTest(n: number): { x: Tensor; labels: Uint8Array } {
  const images = gunzipSync(readFileSync(path.join(dataDir, 't10k-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(path.join(dataDir, 't10k-labels-idx1-ubyte.gz')));
  const x = Tensor.zeros([n, 1, 28, 28]);
  for (let i = 0; i < n * 784; i++) x.data[i] = images[16 + i]! / 127.5 - 1;
  return { x, labels: labels.subarray(8, 8 + n) };
}
if (files.length === 0) console.log(`shipped-model smoke test skipped: no .onnx files in ${modelsDir}`);

suite('shipped models (packages/cli/models)', () => {
  beforeAll(async () => {
    for (const f of files) kinds.set(f, (await readModelHeaderFromFile(f)).metadata.get('phys.kind') ?? '');
  });
  const byKind = (kind: string): string[] => files.filter((f) => kinds.get(f) === kind);

  test('every shipped .onnx declares its phys.kind and provenance', async () => {
    for (const f of files) {
      const h = await readModelHeaderFromFile(f);
      expect(['denoiser', 'classifier', 'pfgm-field', 'latent-prior']).toContain(h.metadata.get('phys.kind'));
      expect((h.metadata.get('phys.provenance') ?? '').length).toBeGreaterThan(10);
    }
  });

  test('the denoiser loads from its metadata and returns finite D(x; sigma) of the right shape', async () => {
    const denoisers = byKind('denoiser');
    expect(denoisers.length).toBeGreaterThan(0);
    for (const f of denoisers) {
      const model = await loadDenoiser(f);
      try {
        const { imageShape } = model.info;
        expect(model.info.kernel.kind).toBeDefined();
        const sigma = Float64Array.of(80, 5, 0.5, 0.02);
        const rng = new PhiloxRng(1);
        const clean = rng.uniform([4, ...imageShape]);
        // x = y + sigma * n with y in [-1, 1]: a Gaussian perturbation (any kernel accepts it as input).
        const noise = rng.normal([4, ...imageShape]);
        const x = Tensor.zeros([4, ...imageShape]);
        for (let i = 0; i < x.size; i++) x.data[i] = 2 * clean.data[i]! - 1 + sigma[Math.floor(i / x.rowSize)]! * noise.data[i]!;
        const D = await model(x, sigma);
        expect(D.shape).toEqual(x.shape);
        expect(D.data.every((v) => Number.isFinite(v))).toBe(true);
        const [lo, hi] = model.info.valueRange;
        const span = hi - lo;
        // A denoiser's estimate stays near the data range even from sigma = 80 inputs.
        for (const v of D.data) expect(v > lo - span && v < hi + span).toBe(true);
        // At sigma = 0.02 the estimate is close to its input (c_skip -> 1).
        let err = 0;
        const row = 3 * x.rowSize;
        for (let j = 0; j < x.rowSize; j++) err = Math.max(err, Math.abs(D.data[row + j]! - x.data[row + j]!));
        expect(err).toBeLessThan(0.25);
      } finally {
        await model.dispose();
      }
    }
  });

  test('fixedShape: a row\'s D(x; sigma) is bit-identical whatever batch, position, neighbours or threads; unpadded calls are not', async () => {
    for (const f of byKind('denoiser')) {
      const padded = await loadDenoiser(f, { chunkSize: 8, fixedShape: true, threads: 2 });
      const single = await loadDenoiser(f, { chunkSize: 8, fixedShape: true, threads: 1 });
      const plain = await loadDenoiser(f, { chunkSize: Infinity, threads: 2 });
      try {
        const { imageShape, sigmaMin, sigmaMax } = padded.info;
        const rows = 11;
        const base = new PhiloxRng(7).normal([rows + 3, ...imageShape]);
        let plainDiffers = 0;
        // 30 noise levels of EDM's schedule (rho = 7) over the model's range.
        for (let k = 0; k < 30; k++) {
          const s = (sigmaMax ** (1 / 7) + (k / 29) * (sigmaMin ** (1 / 7) - sigmaMax ** (1 / 7))) ** 7;
          const x = Tensor.zeros(base.shape);
          for (let i = 0; i < x.size; i++) x.data[i] = s * base.data[i]!;
          const sig = (n: number): Float64Array => new Float64Array(n).fill(s);
          // Rows 0..10 in one call of 11 (8 + 3 padded), rows 3..13 (shifted by 3, other neighbours), one thread.
          const all = await padded(x.sliceRows(0, rows), sig(rows));
          const shifted = await padded(x.sliceRows(3, rows + 3), sig(rows));
          const oneThread = await single(x.sliceRows(0, 5), sig(5));
          const n = x.rowSize;
          expect(shifted.data.subarray(0, (rows - 3) * n)).toEqual(all.data.subarray(3 * n, rows * n));
          expect(oneThread.data).toEqual(all.data.subarray(0, 5 * n));
          // Unpadded: 5 rows and 11 rows run different onnxruntime code paths at some levels.
          const a = await plain(x.sliceRows(0, 5), sig(5));
          const b = await plain(x.sliceRows(0, 8), sig(8));
          if (a.data.some((v, i) => v !== b.data[i])) plainDiffers++;
        }
        // Measured: 1-6 of 30 levels differ by up to 8e-7 without padding (the reason for fixedShape);
        // if onnxruntime ever stops doing this, this check tells us the padding is no longer needed.
        expect(plainDiffers).toBeGreaterThan(0);
      } finally {
        await Promise.all([padded.dispose(), single.dispose(), plain.dispose()]);
      }
    }
  });

  (haveData ? test : test.skip)('the denoiser removes most of its own kernel\'s noise from real Fashion-MNIST test images', async () => {
    for (const f of byKind('denoiser')) {
      const model = await loadDenoiser(f);
      try {
        const { x: clean } = fashionTest(16);
        const { kind, D } = model.info.kernel;
        const kernel = kind === 'pfgmpp' ? pfgmppKernel({ D }) : edmKernel();
        for (const s of [0.2, 0.5, 1, 2]) {
          const sigma = new Float64Array(16).fill(s);
          const { x } = kernel.perturb(clean, sigma, new PhiloxRng(3));
          const out = await model(x, sigma);
          let noisy = 0;
          let denoised = 0;
          for (let i = 0; i < clean.size; i++) {
            noisy += (x.data[i]! - clean.data[i]!) ** 2;
            denoised += (out.data[i]! - clean.data[i]!) ** 2;
          }
          // A working denoiser (right parameterisation, inputs, range) cuts the error at least
          // 2.5-fold (a 20-minute snapshot of the shipped model: 0.20, 0.11, 0.05, 0.02 of it at
          // these sigmas); the wrong parameterisation (edm-raw) gives NaN.
          expect(denoised).toBeLessThan(0.4 * noisy);
        }
      } finally {
        await model.dispose();
      }
    }
  });

  (haveData ? test : test.skip)('the classifier recognises real Fashion-MNIST test images through loadClassifier (accuracy >= 0.85 on 500)', async () => {
    for (const f of byKind('classifier')) {
      const c = await loadClassifier(f, { chunkSize: 200 });
      try {
        const { x, labels } = fashionTest(500);
        const logits = await c.logits(x);
        let correct = 0;
        for (let i = 0; i < 500; i++) {
          const row = logits.row(i);
          let best = 0;
          for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
          if (best === labels[i]) correct++;
        }
        // The provenance reports 0.918 on all 10k test images; 500 images give a binomial sd of ~0.012.
        expect(correct / 500).toBeGreaterThanOrEqual(0.85);
      } finally {
        await c.dispose();
      }
    }
  });

  test('the classifier returns finite logits and features per image', async () => {
    for (const f of byKind('classifier')) {
      const c = await loadClassifier(f);
      try {
        const x = new PhiloxRng(2).uniform([3, ...c.info.imageShape]);
        const { logits, features } = await c.run(x);
        expect(logits?.rows).toBe(3);
        expect(features?.rows).toBe(3);
        expect(logits!.data.every((v) => Number.isFinite(v)) && features!.data.every((v) => Number.isFinite(v))).toBe(true);
      } finally {
        await c.dispose();
      }
    }
  });
});
