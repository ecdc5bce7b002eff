import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadClassifier, type OnnxClassifier } from '@phys/onnx';
import { computeMetrics, inBatchSimilarity, loadFidStats, type GaussianStats } from '@phys/metrics';
import type { Tensor } from '@phys/tensor';
import { UsageError, positiveInt } from './errors.js';
import { checkWritable, joinNegativeValues } from './limits.js';
import { DEFAULT_MAX_PIXELS } from './png-decode.js';
import { loadImages } from './images.js';
import { defaultClassifierPath, defaultReferenceStatsPath, requireFile } from './models.js';
import { writeFileAtomic } from './output.js';
import { ProgressBar } from './progress.js';

export const EVAL_USAGE = `Usage: phys eval --samples <grid.png | folder> [options]

Compares generated images with a reference through the features of a classifier (default: the
shipped Fashion-MNIST classifier) and reports a JSON document.

Options:
  --samples <path>        PNG grid written by 'phys sample', or a folder of PNG images
  --reference <path>      reference: feature statistics (.npz with mu, sigma, pytorch-fid format),
                          a PNG grid or a folder of PNGs (default: shipped Fashion-MNIST test stats)
  --classifier <file>     ONNX classifier with a features output (default: shipped classifier)
  --out <file.json>       also write the report to this file
  --max-pixels <n>        largest PNG (width x height) read (default ${DEFAULT_MAX_PIXELS})
  --quiet                 no progress bar
  -h, --help              this help

Metrics: Frechet distance on the classifier's penultimate features (named after the classifier,
not FID), classifier score (Inception Score formula on the classifier's logits), in-batch
similarity; with reference images also KID and precision/recall (k = 3).`;

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
export async function evalCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv, new Set(['max-pixels'])),
    options: {
      'max-pixels': { type: 'string' },
      samples: { type: 'string' },
      reference: { type: 'string' },
      classifier: { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${EVAL_USAGE}\n`);
    return 0;
  }
  if (values.samples === undefined) throw new UsageError('--samples is required (a PNG grid or a folder of PNGs)');
  const maxPixels = positiveInt(values['max-pixels'], 'max-pixels', DEFAULT_MAX_PIXELS);
  if (values.out !== undefined) await checkWritable(values.out, '--out');
  const read = { maxPixels, ...(signal && { signal }) };
  const classifierPath = requireFile(values.classifier ?? defaultClassifierPath, 'classifier');
  const referencePath = values.reference ?? requireFile(defaultReferenceStatsPath, 'reference statistics');
  const classifier = await loadClassifier(classifierPath, { threads: 'auto' });
  try {
    const { imageShape, valueRange } = classifier.info;
    const quiet = values.quiet || !process.stderr.isTTY;
    const samples = await loadImages(values.samples, imageShape, valueRange, read);
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
      inputs: { samples: values.samples, reference: referencePath, classifier: classifierPath },
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
