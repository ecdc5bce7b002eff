import { Tensor } from '@phys/tensor';
import * as ort from 'onnxruntime-node';
import { loadDenoiser } from '@phys/onnx';
import { benchModel } from './onnx-writer.mjs';
const B = 64, n = B * 784;
const bytes = benchModel({ kind: 'identity', sample: [1, 28, 28] });
const model = await loadDenoiser(bytes, { parameterization: 'edm', threads: 1, chunkSize: Infinity });
const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const x = new Tensor(new Float32Array(n).map((_, i) => Math.sin(i)), [B, 1, 28, 28]);
const s = new Float64Array(B).fill(1);
const feeds = { x: new ort.Tensor('float32', x.data, [B, 1, 28, 28]), sigma: new ort.Tensor('float32', new Float32Array(B).fill(1), [B]) };
const out = new Float32Array(n);
const fetches = { denoised: new ort.Tensor('float32', out, [B, 1, 28, 28]) };
for (let k = 0; k < 3; k++) {
  for (let i = 0; i < 50; i++) await model(x, s);
  let t0 = performance.now();
  for (let i = 0; i < 500; i++) await model(x, s);
  const ours = (performance.now() - t0) / 500;
  for (let i = 0; i < 50; i++) await session.run(feeds, fetches);
  t0 = performance.now();
  for (let i = 0; i < 500; i++) await session.run(feeds, fetches);
  const raw = (performance.now() - t0) / 500;
  t0 = performance.now();
  for (let i = 0; i < 500; i++) { const o = new Float32Array(n); await session.run(feeds, { denoised: new ort.Tensor('float32', o, [B, 1, 28, 28]) }); }
  const rawNew = (performance.now() - t0) / 500;
  console.log('ours', (ours * 1000).toFixed(1), 'raw prealloc same buffer', (raw * 1000).toFixed(1), 'raw prealloc fresh buffer', (rawNew * 1000).toFixed(1), 'us');
}
