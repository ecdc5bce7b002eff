import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadClassifier, type OnnxClassifier } from '@phys/onnx';
import { computeMetrics, inBatchSimilarity, type GaussianStats } from '@phys/metrics';
import { loadFidStats } from '@phys/metrics/node';
import type { Tensor } from '@phys/tensor';
import { UsageError, positiveInt } from './errors.js';
import { checkWritable, joinNegativeValues } from './limits.js';
import { DEFAULT_MAX_PIXELS } from './png-decode.js';
import { loadImages } from './images.js';
import { defaultClassifierPath, defaultReferenceStatsPath, requireFile } from './models.js';
import { writeFileAtomic } from './output.js';
import { ProgressBar } from './progress.js';
import { evalStreaming } from './stats.js';

export const EVAL_USAGE = `Usage: phys eval --samples <grid.png | folder> [options]
       phys eval --stats <a.npz> <b.npz> ... [options]

Compares generated images with a reference through the features of a classifier (default: the
shipped Fashion-MNIST classifier) and reports a JSON document.

Options:
  --samples <path>        PNG grid written by 'phys sample', or a folder of PNG images (sub-folders
                          included), streamed in batches: any number of images in bounded memory
  --stats <files...>      statistics written by 'phys stats' (shards), merged exactly
  --batch-size <n>        images per batch of a folder (default 256)
  --reference <path>      reference: feature statistics (.npz with mu, sigma, pytorch-fid format),
                          a PNG grid or a folder of PNGs (default: shipped Fashion-MNIST test stats)
  --classifier <file>     ONNX classifier with a features output (default: shipped classifier)
  --out <file.json>       also write the report to this file
  --max-pixels <n>        largest PNG (width x height) read (default ${DEFAULT_MAX_PIXELS})
  --quiet                 no progress bar
  -h, --help              this help

Metrics: Frechet distance on the classifier's penultimate features (named after the classifier,
not FID), classifier score (Inception Score formula on the classifier's logits), in-batch
similarity; with reference images also KID and precision/recall (k = 3). A folder or --stats
streams features into mergeable statistics: the Frechet distance and (images only) the
classifier score.`;

async function extract(classifier: OnnxClassifier, x: Tensor, label: string, quiet: boolean): Promise<{ features: Tensor; logits: Tensor | undefined }> {
  const bar = new ProgressBar(process.stderr, x.rows, label, quiet);
  const out = await classifier.run(x, { onChunk: (p) => {
    bar.update(p.rows);
  } });
  bar.done();
  if (!out.features) throw new UsageError('the classifier has no features output (phys.output_features)');
  return { features: out.features, logits: out.logits };
}

/** `phys eval`: prints the JSON report; returns the exit code. */
export async function evalCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(argv, new Set(['max-pixels'])),
    options: {
      'max-pixels': { type: 'string' },
      samples: { type: 'string' },
      reference: { type: 'string' },
      classifier: { type: 'string' },
      out: { type: 'string' },
      stats: { type: 'string', multiple: true },
      'batch-size': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(`${EVAL_USAGE}\n`);
    return 0;
  }
  if (values.stats === undefined && positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.stats !== undefined && values.samples !== undefined) throw new UsageError('give --samples or --stats, not both');
  if (values.samples === undefined && values.stats === undefined) throw new UsageError('--samples is required (a PNG grid or a folder of PNGs)');
  const maxPixels = positiveInt(values['max-pixels'], 'max-pixels', DEFAULT_MAX_PIXELS);
  if (values.out !== undefined) await checkWritable(values.out, '--out');
  const read = { maxPixels, signal };
  const quietBar = values.quiet || !process.stderr.isTTY;
  if (values.stats !== undefined || (await stat(values.samples!).catch(() => undefined))?.isDirectory()) {
    const batchSize = positiveInt(values['batch-size'], 'batch-size', 256);
    const stats = values.stats === undefined ? undefined : [...values.stats, ...positionals];
    const report = await evalStreaming({ ...(values.samples !== undefined && { samples: values.samples }), ...(stats && { stats }), ...(values.reference !== undefined && { reference: values.reference }), ...(values.classifier !== undefined && { classifier: values.classifier }), batchSize, quiet: quietBar }, signal);
    const text = `${JSON.stringify(report, null, 2)}\n`;
    if (values.out !== undefined) await writeFileAtomic(values.out, text);
    process.stdout.write(text);
    return 0;
  }
  const samplesPath = values.samples!;
  const classifierPath = requireFile(values.classifier ?? defaultClassifierPath, 'classifier');
  const referencePath = values.reference ?? requireFile(defaultReferenceStatsPath, 'reference statistics');
  const classifier = await loadClassifier(classifierPath, { threads: 'auto' });
  try {
    const { imageShape, valueRange } = classifier.info;
    const quiet = quietBar;
    const samples = await loadImages(samplesPath, imageShape, valueRange, read);
    const gen = await extract(classifier, samples, 'features (samples)', quiet);
    const reference: Tensor | GaussianStats = referencePath.toLowerCase().endsWith('.npz')
      ? loadFidStats(referencePath)
      : (await extract(classifier, await loadImages(referencePath, imageShape, valueRange, read), 'features (reference)', quiet)).features;
    // FD_<classifier>, IS_<classifier> (the Inception Score formula on its logits) and, with
    // reference images, KD_<classifier> and precision/recall.
    // The classifier score's splits (10 by default) must not outnumber the samples.
    const metrics = computeMetrics({
      features: gen.features,
      reference,
      logits: gen.logits,
      extractor: path.basename(classifierPath, '.onnx'),
      inceptionScore: { splits: Math.min(10, samples.rows) },
    });
    const report = {
      inputs: { samples: samplesPath, reference: referencePath, classifier: classifierPath },
      ...metrics,
      inBatchSimilarity: inBatchSimilarity(gen.features),
    };
    const text = `${JSON.stringify(report, null, 2)}\n`;
    if (values.out !== undefined) await writeFileAtomic(values.out, text, signal);
    process.stdout.write(text);
    return 0;
  } finally {
    await classifier.dispose();
  }
}
