// Thesis Sec. 5.4.1 on a CPU: the 20-d Gaussian mixture of App. B.3.2 (@phys/fields
// restartMixture20d) with its exact denoiser plus an injected, smooth approximation error. As in the
// thesis, ODE (Heun), SDE (Euler-Maruyama) and Restart run inside [t_min, t_max] = [1.0, 1.5] and the
// first-order ODE (Euler) outside; the total error W1(p_0^sampler, p_0) is measured as a sliced W1
// to fresh data. Prints the NFE sweep and writes the NFE-vs-error figure (SVG).
// Run: npm run build -w @phys/examples && node examples/dist/restart-mixture.js [--n 2000] [--eps 0.2] [--seed 0] [--svg docs/restart-nfe-vs-error.svg]
import { writeFileSync } from 'node:fs';
import { PhiloxRng, type Tensor } from '@phys/tensor';
import { edmKernel, edmSchedule } from '@phys/kernels';
import { approximationErrorDenoiser, lowRankMixtureDenoiser, restartMixture20d, restartMixture20dComponents } from '@phys/fields';
import { slicedWasserstein } from '@phys/metrics';
import { eulerMaruyamaSample, eulerSample, heunSample, restartSample, type SampleResult } from '@phys/samplers';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const n = Number(arg('n', '2000'));
const eps = Number(arg('eps', '0.2'));
const seed = Number(arg('seed', '0'));
const svgPath = arg('svg', '');

// Mixture from PhiloxRng(seed); its exact denoiser in the fast low-rank (Woodbury) form, which
// agrees with GaussianMixture.denoise to 1e-10 (packages/fields/test/low-rank.test.ts); the
// injected error field W ~ N(0, 1/20), b ~ N(0, 1) from PhiloxRng(seed + 1).
const mixture = restartMixture20d(new PhiloxRng(seed));
const approx = approximationErrorDenoiser(lowRankMixtureDenoiser(restartMixture20dComponents(new PhiloxRng(seed))), {
  dim: 20,
  eps,
  rng: new PhiloxRng(seed + 1),
});
const data = mixture.sample(n, new PhiloxRng(100), 'float64');
// Sliced W1 to the data over 128 directions drawn from PhiloxRng(4).
const error = (x: Tensor): number => slicedWasserstein(x, data, { projections: 128, seed: 4 }).distance;
const floor = error(mixture.sample(n, new PhiloxRng(101), 'float64'));
const linspace = (from: number, to: number, steps: number): Float64Array => Float64Array.from({ length: steps + 1 }, (_, i) => from + ((to - from) * i) / steps);

const xT = edmKernel().prior([n, 20], 80, new PhiloxRng(200), 'float64');
const above = await eulerSample(approx, xT, edmSchedule({ steps: 13, sigmaMin: 1.5, sigmaMax: 80 }).subarray(0, 13));
const below = edmSchedule({ steps: 13, sigmaMin: 0.002, sigmaMax: 1.0 });

interface Point {
  nfe: number;
  error: number;
  label: string;
}
const results: Record<'ODE' | 'SDE' | 'Restart', Point[]> = { ODE: [], SDE: [], Restart: [] };
async function record(kind: keyof typeof results, label: string, inner: Promise<SampleResult>): Promise<void> {
  const mid = await inner;
  const end = await eulerSample(approx, mid.x, below);
  const nfe = above.nfe + mid.nfe + end.nfe;
  const e = error(end.x);
  results[kind].push({ nfe, error: e, label });
  console.log(`| ${kind} | ${label} | ${nfe} | ${e.toFixed(4)} |`);
}

console.log(`20-d mixture (seed ${seed}), n = ${n}, injected error eps = ${eps}; Euler outside [1.0, 1.5] (25 NFE)`);
console.log(`sliced W1 (128 directions) between two fresh data sets: ${floor.toFixed(4)}\n`);
console.log('| sampler | inside [1.0, 1.5] | NFE (total) | total error (sliced W1) |');
console.log('| --- | --- | --- | --- |');
for (const m of [1, 2, 4, 8, 18]) await record('ODE', `Heun, ${m} steps`, heunSample(approx, above.x, linspace(1.5, 1.0, m)));
for (const m of [4, 8, 16, 36, 72]) {
  await record('SDE', `Euler-Maruyama, ${m} steps`, eulerMaruyamaSample(approx, above.x, linspace(1.5, 1.0, m), { rng: new PhiloxRng(1) }));
}
for (const k of [1, 2, 4, 8, 12, 17]) {
  const run = restartSample(approx, above.x, linspace(1.5, 1.0, 2), { levels: [[3, k, 1.0, 1.5]], rng: new PhiloxRng(2), restartGamma: 0 });
  await record('Restart', `Heun 2 steps + K = ${k} x [3, ${k}, 1.0, 1.5]`.replace(` x [3, ${k},`, ' of [3, K,'), run);
}

if (svgPath) {
  const Wd = 640;
  const H = 400;
  const m = { l: 64, r: 20, t: 20, b: 50 };
  const all = Object.values(results).flat();
  const minNfe = Math.min(...all.map((p) => p.nfe));
  const maxNfe = Math.max(...all.map((p) => p.nfe));
  const lo = Math.min(...all.map((p) => p.error));
  const hi = Math.max(...all.map((p) => p.error));
  const pad = (hi - lo) * 0.08;
  const [e0, e1] = [lo - pad, hi + pad];
  const px = (v: number): number => m.l + ((Wd - m.l - m.r) * (v - minNfe)) / (maxNfe - minNfe);
  const py = (e: number): number => H - m.b - ((H - m.t - m.b) * (e - e0)) / (e1 - e0);
  const colors = { ODE: '#1f77b4', SDE: '#2ca02c', Restart: '#d62728' };
  const names = { ODE: 'ODE (Heun)', SDE: 'SDE (Euler-Maruyama)', Restart: 'Restart (K = 1..17)' };
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${Wd}" height="${H}" font-family="sans-serif" font-size="12">\n`;
  svg += `<rect width="${Wd}" height="${H}" fill="white"/>\n`;
  svg += `<line x1="${m.l}" y1="${H - m.b}" x2="${Wd - m.r}" y2="${H - m.b}" stroke="black"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>\n`;
  for (let t = Math.ceil(minNfe / 10) * 10; t <= maxNfe; t += 10) svg += `<text x="${px(t)}" y="${H - m.b + 16}" text-anchor="middle">${t}</text>\n`;
  for (let k = 0; k <= 5; k++) {
    const e = e0 + ((e1 - e0) * k) / 5;
    svg += `<text x="${m.l - 6}" y="${py(e) + 4}" text-anchor="end">${e.toFixed(3)}</text>\n`;
  }
  svg += `<text x="${(Wd + m.l) / 2}" y="${H - 12}" text-anchor="middle">NFE (25 Euler steps outside [1.0, 1.5] included)</text>\n`;
  svg += `<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">total error: sliced W1 to data</text>\n`;
  Object.entries(results).forEach(([name, pts], i) => {
    const c = colors[name as keyof typeof colors];
    const sorted = [...pts].sort((p, q) => p.nfe - q.nfe);
    svg += `<polyline fill="none" stroke="${c}" stroke-width="2" points="${sorted.map((p) => `${px(p.nfe).toFixed(1)},${py(p.error).toFixed(1)}`).join(' ')}"/>\n`;
    for (const p of sorted) svg += `<circle cx="${px(p.nfe).toFixed(1)}" cy="${py(p.error).toFixed(1)}" r="3" fill="${c}"/>\n`;
    svg += `<text x="${Wd - m.r - 170}" y="${m.t + 16 + 16 * i}" fill="${c}">${names[name as keyof typeof names]}</text>\n`;
  });
  svg += `<text x="${Wd - m.r - 170}" y="${m.t + 16 + 48}" fill="gray">data vs data: ${floor.toFixed(3)}</text>\n`;
  svg += '</svg>\n';
  writeFileSync(svgPath, svg);
  console.log(`\nwrote ${svgPath}`);
}
