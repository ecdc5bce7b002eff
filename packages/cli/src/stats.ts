import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FeatureStatistics, computeMetrics, encodeFeatureStatistics, type GaussianStats, type MetricsReport } from '@phys/metrics';
import { loadFeatureStatistics, loadFidStats } from '@phys/metrics/node';
import { loadClassifier, type OnnxClassifier } from '@phys/onnx';
import { Tensor } from '@phys/tensor';
import { UsageError, positiveInt } from './errors.js';
import { imageToTensor } from './images.js';
import { defaultClassifierPath, defaultReferenceStatsPath, requireFile } from './models.js';
import { writeFileAtomic } from './output.js';
import { decodePngAsync } from './png-decode.js';
import { ProgressBar } from './progress.js';

export const STATS_USAGE = `Usage: phys stats <folder> --out <shard.npz> [options]
       phys stats --merge <a.npz> <b.npz> ... --out <all.npz>

Streams a folder of PNG images (sub-folders included, e.g. 'phys sample --seeds --subdirs')
through the classifier in batches and writes mergeable feature statistics: pytorch-fid's mu and
sigma (float64) plus count, shift, sum and sum_outer, from which shards merge exactly
('phys eval --stats a.npz b.npz ...' or 'phys stats --merge'). Memory is bounded by the batch.

Options:
  --out <file.npz>        output statistics (required)
  --merge                 merge the given statistics files instead of reading images
  --classifier <file>     ONNX classifier with a features output (default: shipped classifier)
  --batch-size <n>        images per batch (default 256)
  --quiet                 no progress bar
  -h, --help              this help`;

/** Every .png under `dir` (sub-folders included, hidden names skipped), sorted by relative path. */
export async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => {
      throw new UsageError(`no such folder: ${d}`);
    });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.toLowerCase().endsWith('.png')) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

/** Loads a classifier whose features do not depend on the batch (fixed-shape calls of 64 rows). */
export function openClassifier(file: string | undefined): Promise<OnnxClassifier> {
  return loadClassifier(requireFile(file ?? defaultClassifierPath, 'classifier'), { threads: 'auto', chunkSize: 64, fixedShape: true });
}

/** Streamed features of image files: their statistics and the logits (10 values per image). */
export interface StreamedFeatures {
  readonly statistics: FeatureStatistics;
  readonly logits: Tensor | undefined;
}

/**
 * Runs `files` through `classifier` `batchSize` images at a time, accumulating the feature
 * statistics (float64 sums) and the logits; only one batch of images and features is in memory.
 */
export async function streamFeatures(
  classifier: OnnxClassifier,
  files: readonly string[],
  options: { batchSize: number; label: string; quiet: boolean; signal?: AbortSignal },
): Promise<StreamedFeatures> {
  if (files.length === 0) throw new UsageError(`${options.label}: no .png images`);
  const [channels, height, width] = classifier.info.imageShape as [number, number, number];
  const range = classifier.info.valueRange;
  const bar = new ProgressBar(process.stderr, files.length, options.label, options.quiet);
  let statistics: FeatureStatistics | undefined;
  const logitParts: Tensor[] = [];
  for (let start = 0; start < files.length; start += options.batchSize) {
    options.signal?.throwIfAborted();
    const batch = files.slice(start, start + options.batchSize);
    const x = Tensor.zeros([batch.length, channels, height, width]);
    for (let i = 0; i < batch.length; i++) {
      const img = await decodePngAsync(await readFile(batch[i]!), { name: batch[i]!, ...(options.signal && { signal: options.signal }) });
      if (img.width !== width || img.height !== height) throw new UsageError(`${batch[i]}: image is ${img.width}x${img.height}, expected ${width}x${height}`);
      imageToTensor(img, channels, range, x, i);
    }
    const out = await classifier.run(x, { signal: options.signal });
    if (!out.features) throw new UsageError('the classifier has no features output (phys.output_features)');
    statistics ??= new FeatureStatistics(out.features.rowSize);
    statistics.update(out.features);
    if (out.logits) logitParts.push(out.logits);
    bar.update(start + batch.length, `${start + batch.length}/${files.length} images`);
  }
  bar.done();
  let logits: Tensor | undefined;
  if (logitParts.length > 0) {
    logits = Tensor.zeros([files.length, logitParts[0]!.rowSize], logitParts[0]!.dtype);
    let offset = 0;
    for (const t of logitParts) {
      logits.data.set(t.data, offset);
      offset += t.size;
    }
  }
  return { statistics: statistics!, logits };
}

/** Merges statistics files written by `phys stats` (exactly: float64 sums, see FeatureStatistics.merge). */
export function mergeStatisticsFiles(files: readonly string[]): FeatureStatistics {
  if (files.length === 0) throw new UsageError('no statistics files to merge');
  let merged: FeatureStatistics | undefined;
  for (const f of files) {
    const s = loadFeatureStatistics(requireFile(f, 'statistics file'));
    merged ??= new FeatureStatistics(s.dim);
    if (s.dim !== merged.dim) throw new UsageError(`${f}: statistics of dimension ${s.dim}, the others have ${merged.dim}`);
    merged.merge(s);
  }
  return merged!;
}

/** `phys stats`: returns the exit code. */
export async function statsCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      merge: { type: 'boolean', default: false },
      classifier: { type: 'string' },
      'batch-size': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(`${STATS_USAGE}\n`);
    return 0;
  }
  if (values.out === undefined || !values.out.toLowerCase().endsWith('.npz')) throw new UsageError('--out <file.npz> is required');
  let statistics: FeatureStatistics;
  if (values.merge) {
    statistics = mergeStatisticsFiles(positionals);
  } else {
    if (positionals.length !== 1) throw new UsageError(`give one folder of images (got ${positionals.length}); 'phys stats --merge' merges statistics files`);
    const files = await listImages(positionals[0]!);
    const classifier = await openClassifier(values.classifier);
    try {
      const batchSize = positiveInt(values['batch-size'], 'batch-size', 256);
      statistics = (await streamFeatures(classifier, files, { batchSize, label: `features of ${positionals[0]}`, quiet: values.quiet, signal })).statistics;
    } finally {
      await classifier.dispose();
    }
  }
  await writeFileAtomic(values.out, encodeFeatureStatistics(statistics));
  process.stderr.write(`wrote ${values.out}: statistics of ${statistics.count} images (dimension ${statistics.dim})\n`);
  return 0;
}

/** The reference of `phys eval`: pytorch-fid statistics, or the streamed statistics of a folder. */
async function referenceStats(reference: string | undefined, classifier: OnnxClassifier, batchSize: number, quiet: boolean, signal: AbortSignal): Promise<GaussianStats | FeatureStatistics> {
  const ref = reference ?? requireFile(defaultReferenceStatsPath, 'reference statistics');
  if (ref.toLowerCase().endsWith('.npz')) return loadFidStats(requireFile(ref, 'reference statistics'));
  return (await streamFeatures(classifier, await listImages(ref), { batchSize, label: 'features (reference)', quiet, signal })).statistics;
}

/**
 * `phys eval` over a folder (streamed) or over statistics files (merged): Frechet distance on the
 * classifier's features, and the classifier score when images (logits) are at hand.
 */
export async function evalStreaming(
  input: { samples?: string; stats?: readonly string[]; reference?: string; classifier?: string; batchSize: number; quiet: boolean },
  signal: AbortSignal,
): Promise<{ inputs: Record<string, unknown> } & MetricsReport> {
  const classifier = await openClassifier(input.classifier);
  try {
    let features: FeatureStatistics;
    let logits: Tensor | undefined;
    if (input.stats !== undefined) features = mergeStatisticsFiles(input.stats);
    else {
      const streamed = await streamFeatures(classifier, await listImages(input.samples!), { batchSize: input.batchSize, label: 'features (samples)', quiet: input.quiet, signal });
      features = streamed.statistics;
      logits = streamed.logits;
    }
    const reference = await referenceStats(input.reference, classifier, input.batchSize, input.quiet, signal);
    const extractor = path.basename(classifier.info.source, '.onnx');
    const metrics = computeMetrics({ features, reference, ...(logits && { logits }), extractor });
    return { inputs: { ...(input.samples !== undefined && { samples: input.samples }), ...(input.stats && { stats: input.stats }), reference: input.reference ?? defaultReferenceStatsPath, classifier: classifier.info.source }, ...metrics };
  } finally {
    await classifier.dispose();
  }
}
