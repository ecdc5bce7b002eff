// Loads the shipped Fashion-MNIST PFGM++ denoiser (an ONNX file with phys.* metadata) as a
// Denoiser, samples 8 images with EDM's Heun sampler on the PFGM++ prior it declares (D = 128),
// and classifies them with the shipped classifier. Run: node examples/dist/onnx-denoiser.js [model.onnx]
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhiloxRng } from '@phys/tensor';
import { edmSchedule, pfgmppKernel } from '@phys/kernels';
import { heunSample } from '@phys/samplers';
import { loadClassifier, loadDenoiser } from '@phys/onnx';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const modelPath = process.argv[2] ?? path.join(root, 'packages/cli/models/fashion-pfgmpp-d128.onnx');
const classifierPath = path.join(path.dirname(modelPath), 'fashion-classifier.onnx');
const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const model = await loadDenoiser(modelPath);
const { info } = model;
console.log(`${path.basename(modelPath)}: ${info.parameterization}, kernel ${info.kernel.kind} (D = ${info.kernel.D}), sigma in [${info.sigmaMin}, ${info.sigmaMax}], image ${info.imageShape.join('x')}, ${info.threads} thread(s)`);
console.log(`provenance: ${info.provenance ?? '(none)'}`);

// PFGM++ prior at sigma_max (r_max = sigma_max sqrt(D)), then the EDM Heun loop in sigma (thesis Alg. 14).
const kernel = pfgmppKernel({ D: info.kernel.D });
const rows = 8;
const x0 = kernel.prior([rows, ...info.imageShape], info.sigmaMax, new PhiloxRng(0));
const t0 = performance.now();
const { x, nfe } = await heunSample(model, x0, edmSchedule({ steps: 18, sigmaMin: Math.max(info.sigmaMin, 0.002), sigmaMax: info.sigmaMax }));
const ms = performance.now() - t0;
let lo = Infinity;
let hi = -Infinity;
for (const v of x.data) {
  lo = Math.min(lo, v);
  hi = Math.max(hi, v);
}
console.log(`sampled ${rows} images: ${nfe} denoiser calls in ${ms.toFixed(0)} ms, pixel range [${lo.toFixed(2)}, ${hi.toFixed(2)}] (model range ${info.valueRange.join('..')})`);

if (existsSync(classifierPath)) {
  const classifier = await loadClassifier(classifierPath);
  const logits = await classifier.logits(x);
  const labels = Array.from({ length: rows }, (_, i) => {
    const row = logits.row(i);
    let best = 0;
    for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
    return CLASSES[best] ?? String(best);
  });
  console.log(`classifier says: ${labels.join(', ')}`);
  const features = await classifier.features(x);
  console.log(`penultimate features: ${features.shape.join('x')} (the input of a classifier-feature Frechet distance)`);
  await classifier.dispose();
}
await model.dispose();
