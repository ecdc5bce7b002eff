import { PhiloxRng, Tensor } from '@phys/tensor';
import { expectClose, maxRelativeError } from '../../../test-support/golden.js';
import { FeatureStatistics, encodeFeatureStatistics, encodeFidStats, frechetDistance, parseFeatureStatistics, parseFidStats, readNpz } from '../src/index.js';

describe('streaming, mergeable feature statistics', () => {
  const rng = new PhiloxRng(3);
  const x = rng.normal([1300, 40], 'float64');
  for (let i = 0; i < x.size; i++) x.data[i] = 2 + x.data[i]! * (1 + (i % 40) / 10) + 0.5 * x.data[i - (i % 40)]!;

  test('shards merged in any grouping equal one-shot mean and covariance to 1e-12 relative', () => {
    const one = FeatureStatistics.fromFeatures(x);
    // Three shards (each with its own reference point: its first row), merged in two orders.
    const a = FeatureStatistics.fromFeatures(x.sliceRows(0, 211));
    const b = FeatureStatistics.fromFeatures(x.sliceRows(211, 900));
    const c = new FeatureStatistics(40);
    for (let r = 900; r < 1300; r += 37) c.update(x.sliceRows(r, Math.min(1300, r + 37)));
    const ab = FeatureStatistics.fromState(a.state()).merge(b).merge(c);
    const cb = FeatureStatistics.fromState(c.state()).merge(FeatureStatistics.fromState(b.state()).merge(a));
    for (const m of [ab, cb]) {
      expect(m.count).toBe(1300);
      expect(maxRelativeError(m.mean(), one.mean())).toBeLessThan(1e-12);
      expect(maxRelativeError(m.covariance(), one.covariance())).toBeLessThan(1e-12);
    }
    expect(Math.abs(frechetDistance(ab, one).value)).toBeLessThan(1e-10);
  });

  test('matches the two-pass definition; an explicit shift and ddof 0 work', () => {
    const n = 1300;
    const d = 40;
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x.data[i * d + j]! / n;
    const cov = new Float64Array(d * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) cov[j * d + k]! += ((x.data[i * d + j]! - mean[j]!) * (x.data[i * d + k]! - mean[k]!)) / n;
    const s = new FeatureStatistics(d, { shift: new Float64Array(d) }).update(x);
    expectClose(s.mean(), mean, 1e-13, 1e-14, 'mean');
    expectClose(s.covariance(0), cov, 1e-12, 1e-13, 'covariance ddof 0');
  });

  test('a large mean (1e6) does not cancel the covariance', () => {
    const y = Tensor.from(x.data.map((v) => v + 1e6), x.shape, 'float64');
    const s = FeatureStatistics.fromFeatures(y);
    expect(maxRelativeError(s.covariance(), FeatureStatistics.fromFeatures(x).covariance())).toBeLessThan(1e-9);
  });

  test('float32 features accumulate in float64; bad input names the argument', () => {
    const f = x.astype('float32');
    const s = FeatureStatistics.fromFeatures(f);
    const ref = FeatureStatistics.fromFeatures(Tensor.from(f.data, f.shape, 'float64'));
    expect(maxRelativeError(s.covariance(), ref.covariance())).toBeLessThan(1e-13);
    expect(() => s.update(Tensor.zeros([2, 3]))).toThrow(/features: expected shape \[n, 40\]/);
    expect(() => new FeatureStatistics(3).mean()).toThrow(/count/);
    expect(() => FeatureStatistics.fromFeatures(Tensor.zeros([1, 3])).covariance()).toThrow(/at least 2 samples/);
    expect(() => s.merge(new FeatureStatistics(3).update(Tensor.zeros([2, 3])))).toThrow(/dimension 40/);
  });
});

describe('mergeable statistics files (encodeFeatureStatistics)', () => {
  const rng = new PhiloxRng(5);
  const x = rng.normal([900, 24], 'float64');
  for (let i = 0; i < x.size; i++) x.data[i] = 3 + x.data[i]! * (1 + (i % 24) / 8) + 0.3 * x.data[i - (i % 24)]!;

  test('shards written to .npz and merged equal the one-shot statistics to 1e-12 relative; pytorch-fid reads mu and sigma', () => {
    const one = FeatureStatistics.fromFeatures(x);
    const bounds = [0, 1, 300, 301, 900];
    const merged = new FeatureStatistics(24);
    for (let k = 0; k + 1 < bounds.length; k++) {
      const shard = FeatureStatistics.fromFeatures(x.sliceRows(bounds[k]!, bounds[k + 1]!));
      const bytes = encodeFeatureStatistics(shard);
      // The bytes hold the state exactly (float64): the parsed shard is the shard.
      const back = parseFeatureStatistics(bytes);
      expect(back.state()).toEqual(shard.state());
      merged.merge(back);
    }
    expect(merged.count).toBe(900);
    expect(maxRelativeError(merged.mean(), one.mean())).toBeLessThan(1e-12);
    expect(maxRelativeError(merged.covariance(), one.covariance())).toBeLessThan(1e-12);
    const fid = parseFidStats(encodeFeatureStatistics(merged));
    expect(maxRelativeError(fid.mu, one.mean())).toBeLessThan(1e-12);
    expect(maxRelativeError(fid.sigma, one.covariance())).toBeLessThan(1e-12);
    const arrays = readNpz(encodeFeatureStatistics(merged));
    expect([...arrays.keys()].sort()).toEqual(['count', 'mu', 'shift', 'sigma', 'sum', 'sum_outer']);
    expect(arrays.get('sigma')!.shape).toEqual([24, 24]);
  });

  test('a pytorch-fid file (mu and sigma only) is refused for merging, naming the missing member', () => {
    const g = FeatureStatistics.fromFeatures(x).gaussian();
    expect(() => parseFeatureStatistics(encodeFidStats(g))).toThrow(/a member 'shift'.*cannot be merged/);
    // An empty shard (more shards than samples) is written and merges as nothing.
    const empty = parseFeatureStatistics(encodeFeatureStatistics(new FeatureStatistics(24)));
    expect(empty.count).toBe(0);
    expect(empty.merge(FeatureStatistics.fromFeatures(x)).covariance()).toEqual(FeatureStatistics.fromFeatures(x).covariance());
  });
});
