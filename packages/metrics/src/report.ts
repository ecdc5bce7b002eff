// Feature extraction through a user-supplied network and the JSON report the `phys eval` CLI prints.
import { ShapeError, Tensor, ValueError, formatShape } from '@phys/tensor';
import { FeatureStatistics, type GaussianStats } from './stats.js';
import { frechetDistance, frechetDistanceName, type FrechetOptions } from './frechet.js';
import { kernelInceptionDistance, type KidOptions } from './kid.js';
import { inceptionScore, type InceptionScoreOptions } from './inception-score.js';
import { precisionRecall } from './precision-recall.js';
import { preprocessForInception, type InceptionPreset } from './resize.js';

/**
 * A feature network: a batch of preprocessed images `[N, C, H, W]` (float32) to one feature (or
 * logit) vector per image, `[N, D]`. An ONNX classifier session (e.g. from @phys/onnx) or any
 * async function satisfies it. For FID the network is Inception-v3 up to pool3 (D = 2048) and the
 * batch is what {@link preprocessForInception} produces (299 x 299, the preset's value range).
 */
export type FeatureExtractor = (x: Tensor) => Promise<Tensor>;

/** Options of {@link extractFeatures}. */
export interface ExtractOptions {
  /**
   * Resize/normalise each image with this Inception preset before the network (input values on the
   * 0..255 scale). Leave out when the network takes the images as they are.
   */
  preset?: InceptionPreset;
  /** Output size of the preset resize (default 299 x 299). */
  size?: readonly [number, number];
  /** Keep every feature vector (needed for KID and precision/recall; FID needs only statistics). */
  keepFeatures?: boolean;
  /** Called after each batch with the number of images done. */
  onProgress?: (done: number) => void;
  /** Stops between batches (throws the signal's reason). */
  signal?: AbortSignal;
}

/** Result of {@link extractFeatures}. */
export interface ExtractResult {
  /** Streaming float64 statistics of the features. */
  readonly statistics: FeatureStatistics;
  /** All features `[N, D]` (float32, as the network returned them) when `keepFeatures` was set. */
  readonly features?: Tensor;
  readonly count: number;
}

/**
 * Runs `extractor` over batches of images (`[N, C, H, W]`, 0..255 scale), optionally through an
 * Inception preset, and accumulates mergeable statistics (and the features, on request). Batches
 * can come from any (async) iterable, so a folder of PNGs is never held in memory at once.
 */
export async function extractFeatures(
  batches: Iterable<Tensor> | AsyncIterable<Tensor>,
  extractor: FeatureExtractor,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  let stats: FeatureStatistics | undefined;
  const kept: Tensor[] = [];
  let count = 0;
  for await (const batch of batches) {
    options.signal?.throwIfAborted();
    const input = options.preset ? preprocessBatch(batch, options.preset, options.size) : batch;
    const feats = await extractor(input);
    if (feats.rows !== batch.rows) throw new ShapeError('extractor(x)', `${batch.rows} rows (one per image)`, formatShape(feats.shape));
    stats ??= new FeatureStatistics(feats.rowSize);
    stats.update(feats);
    if (options.keepFeatures) kept.push(feats);
    count += batch.rows;
    options.onProgress?.(count);
  }
  if (!stats) throw new ValueError('batches', 0, 'at least one batch of images');
  const result: ExtractResult = { statistics: stats, count };
  if (options.keepFeatures) {
    const d = stats.dim;
    const all = new Float32Array(count * d);
    let o = 0;
    for (const t of kept) {
      all.set(t.data, o);
      o += t.size;
    }
    return { ...result, features: new Tensor(all, [count, d]) };
  }
  return result;
}

/** {@link preprocessForInception} over a batch `[N, C, H, W]` -> `[N, 3 or C, h, w]` float32. */
export function preprocessBatch(images: Tensor, preset: InceptionPreset, size: readonly [number, number] = [299, 299]): Tensor {
  if (images.shape.length !== 4) throw new ShapeError('images', '[N, C, H, W]', formatShape(images.shape));
  const [n, c, h, w] = images.shape as [number, number, number, number];
  const [oh, ow] = size;
  const outC = c === 1 ? 3 : c;
  const out = new Float32Array(n * outC * oh * ow);
  for (let i = 0; i < n; i++) {
    out.set(preprocessForInception({ data: images.row(i), channels: c, height: h, width: w }, preset, { height: oh, width: ow }), i * outC * oh * ow);
  }
  return new Tensor(out, [n, outC, oh, ow]);
}

/** Which metrics {@link computeMetrics} computes. */
export type MetricName = 'frechet' | 'kid' | 'precision-recall' | 'inception-score';

/** Input of {@link computeMetrics}. */
export interface MetricsInput {
  /** Features of the generated samples `[n, d]` (or their statistics: then only the Frechet distance). */
  features?: Tensor | FeatureStatistics;
  /** Reference features `[m, d]`, their statistics, or published statistics (e.g. read from .npz). */
  reference?: Tensor | FeatureStatistics | GaussianStats;
  /** Classifier logits of the generated samples `[n, classes]`, for the Inception Score. */
  logits?: Tensor;
  /** The feature network's name; 'inception-v3' gives the names FID/KID/IS, others FD_/KD_/IS_<name>. */
  extractor?: string;
  /** Metrics to compute (default: every one the inputs allow). */
  metrics?: readonly MetricName[];
  /** Frechet options (warnings go to the report; pass `onWarning` to see them as they happen). */
  frechet?: FrechetOptions;
  /** KID options; here `subsetSize` defaults to min(1000, n, m) so small sets still get a value. */
  kid?: KidOptions;
  /** Precision/recall neighbourhood size (default k = 3). */
  precisionRecall?: { k?: number };
  /** Inception Score options (default 10 splits, no shuffling). */
  inceptionScore?: InceptionScoreOptions;
}

/** A JSON-serialisable metrics report. */
export interface MetricsReport {
  readonly extractor: string;
  /** Number of generated samples (when known). */
  readonly samples?: number;
  /** Number of reference samples (when known). */
  readonly referenceSamples?: number;
  /** Metric name -> values; names follow the extractor (FID only for Inception-v3). */
  readonly metrics: Record<string, Record<string, number | string | number[]>>;
  readonly warnings: string[];
  /** Wall time per metric, seconds. */
  readonly seconds: Record<string, number>;
}

function isInception(extractor: string): boolean {
  return frechetDistanceName(extractor) === 'FID';
}

/**
 * Computes the requested metrics from features (not images: run {@link extractFeatures} first) and
 * returns a JSON-serialisable report, the function behind `phys eval`. The Frechet distance needs
 * `features` (or statistics) and `reference`; KID and precision/recall need raw features on both
 * sides; the Inception Score needs `logits`.
 */
export function computeMetrics(input: MetricsInput): MetricsReport {
  const extractor = input.extractor ?? 'inception-v3';
  const inception = isInception(extractor);
  const suffix = inception ? '' : `_${extractor}`;
  const feats = input.features;
  const ref = input.reference;
  const featTensor = feats instanceof Tensor ? feats : undefined;
  const refTensor = ref instanceof Tensor ? ref : undefined;
  const possible: MetricName[] = [];
  if (feats && ref) possible.push('frechet');
  if (featTensor && refTensor) possible.push('kid', 'precision-recall');
  if (input.logits) possible.push('inception-score');
  const wanted = input.metrics ?? possible;
  for (const m of wanted) {
    if (!possible.includes(m)) {
      const need = m === 'frechet' ? 'features and reference' : m === 'inception-score' ? 'logits' : 'feature tensors for both features and reference';
      throw new ValueError('metrics', m, `a metric the inputs allow (${m} needs ${need})`);
    }
  }
  const warnings: string[] = [];
  const metrics: MetricsReport['metrics'] = {};
  const seconds: Record<string, number> = {};
  const timed = <T>(name: string, f: () => T): T => {
    const t0 = performance.now();
    const r = f();
    seconds[name] = (performance.now() - t0) / 1000;
    return r;
  };
  if (wanted.includes('frechet') && feats && ref) {
    const statsOf = (x: Tensor | FeatureStatistics | GaussianStats): FeatureStatistics | GaussianStats =>
      x instanceof Tensor ? FeatureStatistics.fromFeatures(x) : x;
    const r = timed('frechet', () => frechetDistance(statsOf(feats), statsOf(ref), { ...input.frechet, onWarning: input.frechet?.onWarning ?? (() => undefined) }));
    warnings.push(...r.warnings);
    metrics[frechetDistanceName(extractor)] = {
      value: r.value,
      meanTerm: r.meanTerm,
      traceTerm: r.traceSigma1 + r.traceSigma2 - 2 * r.traceSqrtProduct,
      method: r.method,
      rank: r.rank,
      maxImaginary: r.maxImaginary,
    };
  }
  if (wanted.includes('kid') && featTensor && refTensor) {
    const size = input.kid?.subsetSize ?? Math.min(1000, featTensor.rows, refTensor.rows);
    const r = timed('kid', () => kernelInceptionDistance(featTensor, refTensor, { ...input.kid, subsetSize: size }));
    metrics[`${inception ? 'KID' : 'KD'}${suffix}`] = { mean: r.mean, std: r.std, subsets: r.subsets, subsetSize: r.subsetSize };
  }
  if (wanted.includes('precision-recall') && featTensor && refTensor) {
    const r = timed('precision-recall', () => precisionRecall(featTensor, refTensor, input.precisionRecall));
    metrics[`precision_recall${suffix}`] = { precision: r.precision, recall: r.recall, fScore: r.fScore, k: r.k };
  }
  if (wanted.includes('inception-score') && input.logits) {
    const logits = input.logits;
    const r = timed('inception-score', () => inceptionScore(logits, input.inceptionScore));
    metrics[`IS${suffix}`] = { mean: r.mean, std: r.std, splits: r.perSplit.length };
  }
  const samples = featTensor?.rows ?? (feats instanceof FeatureStatistics ? feats.count : input.logits?.rows);
  const referenceSamples = refTensor?.rows ?? (ref instanceof FeatureStatistics ? ref.count : ref instanceof Tensor ? undefined : ref?.count);
  return {
    extractor,
    ...(samples !== undefined ? { samples } : {}),
    ...(referenceSamples !== undefined ? { referenceSamples } : {}),
    metrics,
    warnings,
    seconds,
  };
}
