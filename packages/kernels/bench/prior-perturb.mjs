// Throughput (samples/s) of the PFGM++ prior and training perturbation at N = 3072 (CIFAR-10
// sized rows), next to numpy's rng.beta based sampler run in the same process tree.
// Build first: npx turbo run build --filter=@phys/kernels; then npm run bench -w @phys/kernels.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { PhiloxRng, Tensor } from '@phys/tensor';
import { pfgmppKernel } from '@phys/kernels';

const N = 3072;
const B = 256;
const REPS = 10;

function rate(fn) {
  fn();
  let best = Infinity;
  for (let i = 0; i < REPS; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return B / (best / 1000);
}

const rng = new PhiloxRng(0);
const y = rng.normal([B, N]);
const sigma = Float64Array.from(rng.normal([B], 'float64').data, (e) => Math.exp(-1.2 + 1.2 * e));
const js = {};
for (const D of [128, 2048, 3072000]) {
  const k = pfgmppKernel({ D });
  js[`prior D=${D}`] = rate(() => k.prior([B, N], 80, rng));
  js[`perturb D=${D}`] = rate(() => k.perturb(y, sigma, rng));
}
// The normals alone: the bulk of both operations.
js['normals only (B x N)'] = rate(() => rng.normal([B, N]));

let py;
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'prior_perturb.py');
try {
  py = JSON.parse(execFileSync('/usr/bin/python3', [script, String(N), String(B), String(REPS)], { encoding: 'utf8' }).trim());
} catch (e) {
  py = { skip: `python reference unavailable: ${e.message.split('\n')[0]}` };
}

console.log(`PFGM++ prior/perturb throughput, N = ${N}, batch ${B}, best of ${REPS}; Node ${process.version}`);
if (py.skip) console.log(`numpy reference skipped: ${py.skip}`);
else console.log(`numpy ${py.numpy}, OPENBLAS_CORETYPE=${py.OPENBLAS_CORETYPE}, OMP_NUM_THREADS=${py.OMP_NUM_THREADS} (single-threaded RNG)`);
console.log('| operation | phys (samples/s) | numpy (samples/s) | phys/numpy |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, v] of Object.entries(js)) {
  const ref = py.rates?.[name];
  console.log(`| ${name} | ${v.toFixed(0)} | ${ref ? ref.toFixed(0) : '-'} | ${ref ? (v / ref).toFixed(2) : '-'} |`);
}
void Tensor;
