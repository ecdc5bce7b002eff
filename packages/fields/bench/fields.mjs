// Posterior-mean denoiser and STF targets of @phys/fields next to numpy doing the same work on the
// same inputs in the same run (bench/fields_ref.py). Build first:
//   npx turbo run build --filter=@phys/fields && npm run bench -w @phys/fields
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhiloxRng, Tensor, getBackend, CpuBackend, createWasmBackend, setBackend } from '@phys/tensor';
import { edmKernel, pfgmppKernel } from '@phys/kernels';
import { empiricalDenoiser, stfReferenceBatch, stfTargets } from '@phys/fields';

// The libraries read no environment: as before, PHYS_BACKEND=wasm benches the WebAssembly backend,
// anything else the CPU reference.
setBackend(process.env.PHYS_BACKEND === 'wasm' ? createWasmBackend() : new CpuBackend());

const REPS_JS = Number(process.env.REPS_JS ?? 3);
const REPS_PY = Number(process.env.REPS_PY ?? 5);

/** Perturbed batch x = y_clean + sigma eps against a reference set whose first B rows are y_clean. */
function makeCase(name, B, n, N, D, seed) {
  const rng = new PhiloxRng(seed);
  const clean = rng.normal([B, N]);
  const extra = rng.normal([n - B, N]);
  const reference = stfReferenceBatch(clean, extra);
  const sigma = Float64Array.from(rng.uniform([B, 1], 'float64').data, (u) => Math.exp(Math.log(0.5) + u * Math.log(160))); // 0.5..80
  const eps = rng.normal([B, N]);
  const x = getBackend().lincomb([[1, clean], [sigma, eps]]);
  return { name, B, n, N, D, x, reference, sigma };
}

const cases = [
  { ...makeCase('denoiser-edm-B128-n4096-N3072', 128, 4096, 3072, null, 1), op: 'denoiser' },
  { ...makeCase('stf-pfgmpp2048-B128-n4096-N3072', 128, 4096, 3072, 2048, 2), op: 'stf' },
  { ...makeCase('stf-edm-B256-n2000-N20', 256, 2000, 20, null, 3), op: 'stf' },
  { ...makeCase('denoiser-pfgmpp128-B1024-n1024-N2', 1024, 1024, 2, 128, 4), op: 'denoiser' },
];

function kernelOf(c) {
  return c.D === null ? edmKernel() : pfgmppKernel({ D: c.D });
}

async function runJs(c) {
  const kernel = kernelOf(c);
  if (c.op === 'denoiser') {
    const denoise = empiricalDenoiser(c.reference, kernel);
    return denoise(c.x, c.sigma);
  }
  return stfTargets(c.x, c.sigma, c.reference, kernel);
}

const dir = mkdtempSync(path.join(tmpdir(), 'phys-fields-bench-'));
const results = [];
try {
  for (const c of cases) {
    writeFileSync(path.join(dir, `${c.name}.x.f32`), c.x.data);
    writeFileSync(path.join(dir, `${c.name}.y.f32`), c.reference.data);
    writeFileSync(path.join(dir, `${c.name}.sigma.f64`), c.sigma);
  }
  writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases.map(({ name, B, n, N, D }) => ({ name, B, n, N, D }))));
  const js = {};
  const outputs = {};
  for (const c of cases) {
    outputs[c.name] = await runJs(c);
    let best = Infinity;
    for (let i = 0; i < REPS_JS; i++) {
      const t = performance.now();
      await runJs(c);
      best = Math.min(best, performance.now() - t);
    }
    js[c.name] = best;
  }
  let py;
  try {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fields_ref.py');
    py = JSON.parse(execFileSync('/usr/bin/python3', [script, dir, String(REPS_PY)], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim());
  } catch (e) {
    py = { skip: `python reference unavailable: ${String(e.message).split('\n')[0]}` };
  }
  console.log(`@phys/fields bench, Node ${process.version}, backend ${getBackend().name}, best of ${REPS_JS} (phys) / ${REPS_PY} (numpy)`);
  if (py.skip) console.log(`numpy reference skipped: ${py.skip}`);
  else console.log(`numpy ${py.numpy}; OPENBLAS_CORETYPE=${py.OPENBLAS_CORETYPE} OPENBLAS_NUM_THREADS=${py.OPENBLAS_NUM_THREADS} OMP_NUM_THREADS=${py.OMP_NUM_THREADS}`);
  console.log('| case | 4 B n N GFLOP | phys (ms) | numpy (ms) | phys/numpy time | max rel diff |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const c of cases) {
    const flop = (4 * c.B * c.n * c.N) / 1e9;
    let diff = '-';
    let ms = '-';
    let ratio = '-';
    if (!py.skip) {
      const ref = new Float32Array(readFileSync(path.join(dir, `${c.name}.out.f32`)).buffer.slice(0));
      const got = outputs[c.name].data;
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < ref.length; i++) {
        worst = Math.max(worst, Math.abs(got[i] - ref[i]));
        scale = Math.max(scale, Math.abs(ref[i]));
      }
      diff = (worst / scale).toExponential(1);
      ms = py.ms[c.name].toFixed(1);
      ratio = (js[c.name] / py.ms[c.name]).toFixed(1);
    }
    results.push(c.name);
    console.log(`| ${c.name} | ${flop.toFixed(2)} | ${js[c.name].toFixed(1)} | ${ms} | ${ratio} | ${diff} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
void Tensor;
