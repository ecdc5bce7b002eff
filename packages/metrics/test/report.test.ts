import { PhiloxRng, Tensor } from '@phys/tensor';
import { expectClose } from '../../../test-support/golden.js';
import { FeatureStatistics, computeMetrics, extractFeatures, frechetDistance, preprocessBatch, type FeatureExtractor } from '../src/index.js';
import { input } from './helpers.js';

// A deterministic stand-in network: per channel, mean and mean square of the preprocessed image, and the
// mean of its top-left quarter (9 features). It sees exactly what a real extractor would see.
const tinyNet: FeatureExtractor = (x) => {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out = new Float32Array(n * c * 3);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const o = (i * c + ch) * h * w;
      let s = 0;
      let q = 0;
      let tl = 0;
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const v = x.data[o + y * w + xx]!;
          s += v;
          q += v * v;
          if (y < h / 2 && xx < w / 2) tl += v;
        }
      }
      out.set([s / (h * w), q / (h * w), tl / ((h * w) / 4)], (i * c + ch) * 3);
    }
  }
  return Promise.resolve(new Tensor(out, [n, c * 3]));
};

function images(seed: number, n: number, bright: number): Tensor {
  const u = new PhiloxRng(seed).uniform([n, 3, 8, 8]);
  for (let i = 0; i < u.size; i++) u.data[i] = Math.floor(u.data[i]! * bright);
  return u;
}

describe('feature extraction and the metrics report', () => {
  test('extractFeatures streams batches through a preset and the network; statistics equal one-shot', async () => {
    const all = images(1, 40, 256);
    const batches = [all.sliceRows(0, 16), all.sliceRows(16, 32), all.sliceRows(32, 40)];
    const progress: number[] = [];
    const r = await extractFeatures(batches, tinyNet, { preset: 'pytorch-fid', size: [32, 32], keepFeatures: true, onProgress: (d) => progress.push(d) });
    expect(progress).toEqual([16, 32, 40]);
    expect(r.count).toBe(40);
    expect(r.features!.shape).toEqual([40, 9]);
    const oneShot = await tinyNet(preprocessBatch(all, 'pytorch-fid', [32, 32]));
    expect(Array.from(r.features!.data)).toEqual(Array.from(oneShot.data));
    expectClose(r.statistics.covariance(), FeatureStatistics.fromFeatures(oneShot).covariance(), 1e-12, 1e-15, 'covariance');
  });

  test('extractFeatures stops on an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(extractFeatures([images(1, 2, 256)], tinyNet, { signal: ac.signal })).rejects.toThrow('stop');
  });

  test('computeMetrics: JSON report with names after the extractor, values equal to the direct calls', () => {
    const x = input('A_200x32');
    const y = input('B_180x32');
    const report = computeMetrics({ features: x, reference: y, extractor: 'fashion-mnist-classifier', kid: { subsets: 3, subsetSize: 50, seed: 1 } });
    expect(Object.keys(report.metrics).sort()).toEqual(['FD_fashion-mnist-classifier', 'KD_fashion-mnist-classifier', 'precision_recall_fashion-mnist-classifier']);
    expect(report.metrics['FD_fashion-mnist-classifier']!.value).toBe(frechetDistance(FeatureStatistics.fromFeatures(x), FeatureStatistics.fromFeatures(y)).value);
    expect(report.samples).toBe(200);
    expect(report.referenceSamples).toBe(180);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const inc = computeMetrics({ features: FeatureStatistics.fromFeatures(x), reference: FeatureStatistics.fromFeatures(y).gaussian(), logits: input('LOGITS_100x10') });
    expect(Object.keys(inc.metrics).sort()).toEqual(['FID', 'IS']);
    expect(() => computeMetrics({ features: FeatureStatistics.fromFeatures(x), reference: y, metrics: ['kid'] })).toThrow(/kid needs feature tensors/);
  });

  test('n <= d appears as a report warning, not on the console', () => {
    const report = computeMetrics({ features: input('R_10x32'), reference: input('R_12x32'), metrics: ['frechet'] });
    expect(report.warnings).toHaveLength(2);
  });
});
