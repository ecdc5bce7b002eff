// The page: loads the shipped Fashion-MNIST PFGM++ denoiser and classifier (the files of
// packages/cli/models, bundled as assets), picks @phys/tensor's WebAssembly backend (threaded when
// the page is cross-origin isolated) and samples a grid with the chosen settings.
import { tileGrid } from '@phys/metrics';
import { loadClassifier, loadDenoiser, type OnnxClassifier, type OnnxDenoiser } from '@phys/onnx';
import { CpuBackend, createWasmBackend, loadWasmKernels, setBackend, type Tensor } from '@phys/tensor';
import denoiserUrl from '../../../packages/cli/models/fashion-pfgmpp-d128.onnx?url';
import classifierUrl from '../../../packages/cli/models/fashion-classifier.onnx?url';
import { cliArguments, samplerChoices, sampleGrid, type GridSettings } from './sample-grid.js';

const CLASSES = ['T-shirt/top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const ui = {
  sampler: $('sampler') as HTMLSelectElement,
  seed: $('seed') as HTMLInputElement,
  steps: $('steps') as HTMLInputElement,
  count: $('count') as HTMLInputElement,
  pg: $('pg') as HTMLInputElement,
  microBatch: $('micro-batch') as HTMLInputElement,
  webgpu: $('webgpu') as HTMLInputElement,
  sample: $('sample') as HTMLButtonElement,
  cancel: $('cancel') as HTMLButtonElement,
  download: $('download') as HTMLButtonElement,
  progress: $('progress') as HTMLProgressElement,
  status: $('status'),
  canvas: $('grid') as HTMLCanvasElement,
  labels: $('labels'),
};

/** The page's state for the e2e test and anyone scripting it: `loading`, `ready`, `sampling`, `done`, `cancelled` or `error`. */
function setState(state: string, text: string): void {
  document.body.dataset.state = state;
  ui.status.textContent = text;
}

for (const { value, label } of samplerChoices()) ui.sampler.add(new Option(label, value, false, value === 'restart:cifar10-pfgmpp'));
ui.webgpu.disabled = !('gpu' in navigator);

function settings(): GridSettings {
  const int = (el: HTMLInputElement, name: string, min: number): number => {
    const v = Number(el.value);
    if (!(Number.isSafeInteger(v) && v >= min)) throw new Error(`${name} must be an integer >= ${min}, got '${el.value}'`);
    return v;
  };
  const pg = Number(ui.pg.value || 0);
  if (!(pg >= 0 && Number.isFinite(pg))) throw new Error(`particle guidance must be a number >= 0, got '${ui.pg.value}'`);
  return {
    sampler: ui.sampler.value,
    seed: int(ui.seed, 'seed', 0),
    steps: ui.steps.value === '' ? undefined : int(ui.steps, 'steps', 2),
    count: int(ui.count, 'count', 1),
    pg: pg > 0 ? pg : undefined,
  };
}

let models: { denoiser: OnnxDenoiser; classifier: OnnxClassifier; microBatch: number; webgpu: boolean } | undefined;

/** The denoiser and classifier for this micro-batch and execution provider (reloaded when those change). */
async function loadModels(microBatch: number, webgpu: boolean): Promise<NonNullable<typeof models>> {
  if (models && models.microBatch === microBatch && models.webgpu === webgpu) return models;
  if (models) await Promise.all([models.denoiser.dispose(), models.classifier.dispose()]);
  models = undefined;
  const sessionOptions = webgpu ? { executionProviders: ['webgpu', 'wasm'] } : undefined;
  // Fixed-shape calls of `microBatch` rows, as `phys sample --micro-batch`: a row's output depends on the row alone.
  const [denoiser, classifier] = await Promise.all([
    loadDenoiser(denoiserUrl, { chunkSize: microBatch, fixedShape: true, sessionOptions }),
    loadClassifier(classifierUrl, { sessionOptions }),
  ]);
  models = { denoiser, classifier, microBatch, webgpu };
  return models;
}

function draw(x: Tensor, range: readonly [number, number]): void {
  const img = tileGrid(x, range);
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let p = 0; p < img.width * img.height; p++) {
    const v = img.data[p * img.channels]!;
    rgba[4 * p] = v;
    rgba[4 * p + 1] = img.channels === 1 ? v : img.data[p * img.channels + 1]!;
    rgba[4 * p + 2] = img.channels === 1 ? v : img.data[p * img.channels + 2]!;
    rgba[4 * p + 3] = 255;
  }
  ui.canvas.width = img.width;
  ui.canvas.height = img.height;
  ui.canvas.getContext('2d')!.putImageData(new ImageData(rgba, img.width, img.height), 0, 0);
}

async function labels(classifier: OnnxClassifier, x: Tensor): Promise<string> {
  const logits = await classifier.logits(x);
  const k = logits.shape[1]!;
  const names: string[] = [];
  for (let i = 0; i < logits.shape[0]!; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits.data[i * k + j]! > logits.data[i * k + best]!) best = j;
    names.push(CLASSES[best] ?? String(best));
  }
  return `classifier: ${names.join(', ')}`;
}

let controller: AbortController | undefined;
let fileName = 'samples.png';

ui.sample.addEventListener('click', () => {
  void (async () => {
    let s: GridSettings;
    let microBatch: number;
    try {
      s = settings();
      microBatch = Number(ui.microBatch.value);
      if (!(Number.isSafeInteger(microBatch) && microBatch >= 1)) throw new Error(`micro-batch must be an integer >= 1, got '${ui.microBatch.value}'`);
    } catch (e) {
      setState('error', (e as Error).message);
      return;
    }
    controller = new AbortController();
    ui.sample.disabled = true;
    ui.cancel.disabled = false;
    ui.download.disabled = true;
    ui.progress.value = 0;
    setState('sampling', 'loading the models…');
    try {
      const { denoiser, classifier } = await loadModels(microBatch, ui.webgpu.checked);
      const started = performance.now();
      const { x, nfePerBatch } = await sampleGrid(denoiser, s, {
        signal: controller.signal,
        onProgress: (p) => {
          ui.progress.value = p.fraction;
          ui.status.textContent = `sampling ${s.count}: batch ${p.batch + 1}/${p.batches}, sigma ${p.sigma.toPrecision(3)}`;
        },
      });
      const seconds = (performance.now() - started) / 1000;
      draw(x, denoiser.info.valueRange);
      ui.progress.value = 1;
      fileName = `phys-${s.sampler.replace(':', '-')}-seed${s.seed}-n${s.count}.png`;
      ui.download.disabled = false;
      ui.status.dataset.seconds = seconds.toFixed(3);
      ui.status.dataset.nfe = String(nfePerBatch);
      setState('done', `${s.count} samples, NFE ${nfePerBatch} per batch, ${seconds.toFixed(1)} s\nsame images in Node: phys sample ${cliArguments(s, microBatch).join(' ')}`);
      ui.labels.textContent = await labels(classifier, x);
    } catch (e) {
      if (controller.signal.aborted) setState('cancelled', 'cancelled');
      else setState('error', e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    } finally {
      ui.sample.disabled = false;
      ui.cancel.disabled = true;
    }
  })();
});

ui.cancel.addEventListener('click', () => {
  controller?.abort();
});

ui.download.addEventListener('click', () => {
  ui.canvas.toBlob((blob) => {
    if (!blob) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = fileName;
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); }, 10_000);
  }, 'image/png');
});

// The WebAssembly backend: compiled asynchronously (a page's main thread must), on every core
// (at most 2 compute at once) where shared memory is allowed.
const kernels = await loadWasmKernels();
const threads = crossOriginIsolated ? Math.max(1, navigator.hardwareConcurrency) : 1;
const backend = kernels ? (createWasmBackend({ threads }) ?? new CpuBackend()) : new CpuBackend();
setBackend(backend);
document.body.dataset.backend = `${backend.name}${threads > 1 ? ` (${threads} threads)` : ''}`;
setState('ready', `ready: ${document.body.dataset.backend}, ${crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated (single thread)'}`);
ui.sample.disabled = false;
