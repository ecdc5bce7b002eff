// PFGM++ kernels across D: prior radii against the analytic beta-prime moments, the concentration
// of the perturbation norm as D grows with r = sigma sqrt(D) (thesis Fig. 8.4b), D = Infinity as
// the EDM kernel, and the PFGM (D = 1) prior. Run: node examples/dist/pfgmpp-kernels.js
import { PhiloxRng, Tensor, getBackend } from '@phys/tensor';
import { edmKernel, edmSchedule, pfgmKernel, pfgmppKernel, radiusMoments, radiusQuantile } from '@phys/kernels';

const N = 3072; // a CIFAR-10 image
const rows = 256;
const sigmaMax = 80;
const rng = new PhiloxRng(7);
const be = getBackend();

console.log(`EDM schedule, 18 steps: ${Array.from(edmSchedule({ steps: 18 }).subarray(0, 4), (t) => t.toFixed(2)).join(', ')}, ..., 0`);
console.log(`pfgmppKernel({ D: Infinity }) is the EDM kernel: ${String(pfgmppKernel({ D: Infinity }) === edmKernel())}`);

console.log(`\nprior radius |x_T| at sigma_max = ${sigmaMax} (r_max = sigma_max sqrt(D)), ${rows} samples, N = ${N}:`);
console.log('D          sample mean   analytic mean   sample sd   analytic sd   median (analytic)');
for (const D of [64, 128, 2048, 3072000]) {
  const x = pfgmppKernel({ D }).prior([rows, N], sigmaMax, rng);
  const R = be.rowNorm(x);
  const mean = R.reduce((a, b) => a + b, 0) / rows;
  const sd = Math.sqrt(R.reduce((a, b) => a + (b - mean) ** 2, 0) / (rows - 1));
  const p = { N, D, r: sigmaMax * Math.sqrt(D) };
  const m = radiusMoments(p);
  console.log(
    `${String(D).padEnd(10)} ${mean.toFixed(1).padStart(11)} ${m.mean.toFixed(1).padStart(15)} ${sd.toFixed(1).padStart(11)} ${Math.sqrt(m.variance).toFixed(1).padStart(13)} ${radiusQuantile(0.5, p).toFixed(1).padStart(19)}`,
  );
}
console.log(`Gaussian limit: sigma_max sqrt(N) = ${(sigmaMax * Math.sqrt(N)).toFixed(1)}, sd -> sigma_max/sqrt(2) = ${(sigmaMax / Math.sqrt(2)).toFixed(1)}`);

console.log('\nperturbation norm |x - y| at sigma = 0.5 (r = sigma sqrt(D)), N = 3072: spread falls as D grows');
const y = Tensor.zeros([rows, N]);
const sigma = new Float64Array(rows).fill(0.5);
for (const D of [16, 128, 2048, Infinity]) {
  const { x } = pfgmppKernel({ D, betaClip: 0, radiusEps: 0 }).perturb(y, sigma, rng);
  const R = be.rowNorm(x);
  const mean = R.reduce((a, b) => a + b, 0) / rows;
  const sd = Math.sqrt(R.reduce((a, b) => a + (b - mean) ** 2, 0) / (rows - 1));
  console.log(`D = ${String(D).padEnd(9)} mean ${mean.toFixed(2)}  sd ${sd.toFixed(3)}`);
}

const pfgm = pfgmKernel(); // CIFAR-10 settings: z_max 40, radius clipped to [1, 3000]
const { x: xPfgm, z } = pfgm.prior([rows, N], rng);
const Rp = be.rowNorm(xPfgm);
console.log(`\nPFGM prior on z = ${z[0]}: radius min ${Math.min(...Rp).toFixed(0)}, max ${Math.max(...Rp).toFixed(0)} (clip 3000)`);
