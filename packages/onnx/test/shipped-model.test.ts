// Smoke test of the models shipped with the CLI (packages/cli/models/*.onnx, trained by
// tools/fashion): they load through their phys.* metadata and return finite values of the right
// shape. Skipped, with a message, in a checkout without those files.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhiloxRng, Tensor } from '@phys/tensor';
import { loadClassifier, loadDenoiser, readModelHeaderFromFile } from '../src/index.js';

const modelsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/models');
const files = existsSync(modelsDir) ? readdirSync(modelsDir).filter((f) => f.endsWith('.onnx')).map((f) => path.join(modelsDir, f)) : [];
/** phys.kind of each file, read in beforeAll. */
const kinds = new Map<string, string>();

const suite = files.length > 0 ? describe : describe.skip;
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
