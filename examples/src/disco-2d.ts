// DisCo-Diff on the 2-D mixture of thesis Fig. 4.3/4.4 with the shipped ONNX models
// (examples/models/disco, trained by tools/disco/train.py): samples with and without discrete
// latents at equal NFE (exact W1 to fresh data), the mean curvature of the ODE trajectories along
// t, latent classifier-free guidance (Table 4.3) and latent switching (Fig. 4.7b), then DisCo-Diff
// with the Restart sampler. W1 is the sliced W1 (64 directions) to 8000 data points (1000 per
// mode); n fresh data points give the floor. Writes the figure to docs/disco.svg.
// Run: npm run build -w @phys/examples && node examples/dist/disco-2d.js [n=2000] [--svg PATH]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhiloxRng, Tensor } from '@phys/tensor';
import { edmKernel, edmSchedule } from '@phys/kernels';
import { heunSample, restartSample } from '@phys/samplers';
import { curvatureAlongTrajectory, edmDrift, slicedWasserstein } from '@phys/metrics';
import { loadDenoiser } from '@phys/onnx';
import { Latents, TabularPrior, discoSample, encodeLatents, samplePrior, switchSigma } from '@phys/latents';
import { OnnxLatentPrior, loadLatentDenoiser, loadLatentEncoder } from '@phys/latents/onnx';

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 2000);
const svgIndex = args.indexOf('--svg');
const svgPath = svgIndex >= 0 ? args[svgIndex + 1]! : 'docs/disco.svg';
const models = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../models/disco');

// Thesis App. B.2.2: 8 Gaussians, std 0.2, on a circle of radius 3 (`stratified`: exactly every
// 8th point in each mode, like the training set).
function ring(count: number, seed: number, stratified = false): Tensor {
  const rng = new PhiloxRng(seed);
  const u = rng.uniform([count, 1], 'float64').data;
  const g = rng.normal([count, 2], 'float64').data;
  const x = Tensor.zeros([count, 2], 'float64');
  for (let i = 0; i < count; i++) {
    const a = (2 * Math.PI * (stratified ? i % 8 : Math.min(7, Math.floor(u[i]! * 8)))) / 8;
    x.data[2 * i] = 3 * Math.cos(a) + 0.2 * g[2 * i]!;
    x.data[2 * i + 1] = 3 * Math.sin(a) + 0.2 * g[2 * i + 1]!;
  }
  return x;
}

const disco = await loadLatentDenoiser(path.join(models, 'disco-denoiser.onnx'));
const base = await loadDenoiser(path.join(models, 'baseline-denoiser.onnx'));
const prior = await OnnxLatentPrior.load(path.join(models, 'disco-prior.onnx'));
const encoder = await loadLatentEncoder(path.join(models, 'disco-encoder.onnx'));
const { sigmaMin, sigmaMax } = disco.info;
console.log(`models: ${disco.info.provenance ?? '(no provenance)'}`);
console.log(`latent space m = ${disco.space.m}, k = ${disco.space.k}\n`);

// One large reference sample keeps the reference's own sampling noise out of the comparisons.
const reference = ring(8000, 424242, true);
const w1 = (x: Tensor): number => slicedWasserstein(x.astype('float64'), reference, { projections: 64 }).distance;
const floor = w1(ring(n, 1));

async function run(steps: number, seed: number, options: { guidance?: number; trajectory?: boolean; z?: Latents } = {}) {
  const sigmas = edmSchedule({ steps, sigmaMin, sigmaMax });
  const x0 = edmKernel().prior([n, 2], sigmas[0]!, new PhiloxRng(seed));
  const withLatents = await discoSample(disco, (d, o) => heunSample(d, x0, sigmas, { ...o, trajectory: options.trajectory }), {
    prior,
    rows: n,
    rng: new PhiloxRng(seed + 1),
    guidance: options.guidance,
    z: options.z,
  });
  const without = await heunSample(base, x0, sigmas, { trajectory: options.trajectory });
  return { sigmas, x0, withLatents, without };
}

// 1. W1 at equal NFE (Heun, EDM schedule).
console.log(`Heun steps  NFE  W1 with latents  W1 without  (sliced W1 to 8000 data points, n = ${n}; fresh data: ${floor.toFixed(4)})`);
const w1Rows: { steps: number; nfe: number; d: number; b: number }[] = [];
for (const steps of [6, 12, 18, 35]) {
  const r = await run(steps, 1000 + steps);
  const row = { steps, nfe: r.withLatents.nfe, d: w1(r.withLatents.x), b: w1(r.without.x) };
  w1Rows.push(row);
  console.log(`${String(steps).padStart(10)}  ${String(row.nfe).padStart(3)}  ${row.d.toFixed(4).padStart(15)}  ${row.b.toFixed(4).padStart(10)}`);
}

// 2. Curvature along the ODE (thesis Fig. 4.4a, App. B.2.2 definition, dt = 0.001).
const traj = await run(35, 7, { trajectory: true });
const states = (r: { trajectory?: readonly Tensor[]; trajectorySigmas?: readonly number[] }) => r.trajectory!.slice(0, -1).map((x, i) => ({ t: r.trajectorySigmas![i]!, x }));
const kd = await curvatureAlongTrajectory(edmDrift(disco, traj.withLatents.z), states(traj.withLatents));
const kb = await curvatureAlongTrajectory(edmDrift(base), states(traj.without));
console.log('\nmean curvature along the ODE (35 Heun steps):');
console.log('        t   with latents   without');
kd.forEach((c, i) => {
  console.log(`${c.t.toPrecision(3).padStart(9)}  ${c.mean.toExponential(2).padStart(12)}  ${kb[i]!.mean.toExponential(2).padStart(9)}`);
});

{
  const phase = kd.map((c, i) => [c.t, c.mean, kb[i]!.mean] as const).filter(([t]) => t >= 0.2 && t <= 3);
  const geo = (j: 1 | 2) => 10 ** (phase.reduce((s, p) => s + Math.log10(p[j]), 0) / phase.length);
  const ratios = phase.map((p) => p[1] / p[2]).sort((a, b) => a - b);
  const turning = (states: readonly Tensor[]) => {
    let total = 0;
    for (let r = 0; r < n; r++) {
      for (let k = 1; k + 1 < states.length; k++) {
        const [a, b, c] = [states[k - 1]!, states[k]!, states[k + 1]!];
        const ax = b.data[2 * r]! - a.data[2 * r]!;
        const ay = b.data[2 * r + 1]! - a.data[2 * r + 1]!;
        const bx = c.data[2 * r]! - b.data[2 * r]!;
        const by = c.data[2 * r + 1]! - b.data[2 * r + 1]!;
        const na = Math.hypot(ax, ay);
        const nb = Math.hypot(bx, by);
        if (na > 0 && nb > 0) total += Math.acos(Math.max(-1, Math.min(1, (ax * bx + ay * by) / (na * nb))));
      }
    }
    return total / n;
  };
  console.log(
    `over the ${phase.length} recorded t in [0.2, 3] (mode std to ring radius): geometric mean ${geo(1).toExponential(2)} with latents, ${geo(2).toExponential(2)} without; ` +
      `ratio with/without: median ${ratios[Math.floor(ratios.length / 2)]!.toFixed(3)}, max ${ratios[ratios.length - 1]!.toFixed(3)}`,
  );
  console.log(`total turning per trajectory (sum of angles between steps, rad): ${turning(traj.withLatents.trajectory!).toFixed(3)} with latents, ${turning(traj.without.trajectory!).toFixed(3)} without`);
}

// 3. Classifier-free guidance on the latents (thesis Table 4.3: cfg 0, 1, 2), 18 Heun steps.
console.log('\nlatent guidance, 18 Heun steps: cfg  W1');
for (const g of [0, 1, 2]) {
  const r = await run(18, 3000, { guidance: g });
  console.log(`  ${g}  ${w1(r.withLatents.x).toFixed(4)}`);
}

// 4. Latent switching (thesis Fig. 4.7b): z for the first fraction of the steps, then z'.
console.log('\nlatent switching, 18 Heun steps: switch after  share of samples that follow z\'');
{
  const sigmas = edmSchedule({ steps: 18, sigmaMin, sigmaMax });
  const x0 = edmKernel().prior([n, 2], sigmas[0]!, new PhiloxRng(4000));
  const z = await samplePrior(prior, n, new PhiloxRng(4001));
  const z2 = await samplePrior(prior, n, new PhiloxRng(4002));
  const plain = await discoSample(disco, (d, o) => heunSample(d, x0, sigmas, o), { rows: n, z });
  const other = await discoSample(disco, (d, o) => heunSample(d, x0, sigmas, o), { rows: n, z: z2 });
  for (const fraction of [0.2, 0.4, 0.6, 0.7, 0.8, 0.9]) {
    const sw = await discoSample(disco, (d, o) => heunSample(d, x0, sigmas, o), {
      rows: n,
      z,
      switchTo: { latents: z2, sigmaSwitch: switchSigma(sigmas, fraction) },
    });
    let follow = 0;
    let differ = 0;
    for (let r = 0; r < n; r++) {
      const dA = Math.hypot(sw.x.data[2 * r]! - plain.x.data[2 * r]!, sw.x.data[2 * r + 1]! - plain.x.data[2 * r + 1]!);
      const dB = Math.hypot(sw.x.data[2 * r]! - other.x.data[2 * r]!, sw.x.data[2 * r + 1]! - other.x.data[2 * r + 1]!);
      if (z.get(r, 0) !== z2.get(r, 0) || z.get(r, 1) !== z2.get(r, 1)) {
        differ++;
        if (dB < dA) follow++;
      }
    }
    console.log(`  ${String(Math.round(fraction * 100)).padStart(3)}% of the steps  ${(follow / differ).toFixed(3)}`);
  }
}

// 5. Stage 2 in TypeScript: encode fresh data (Gumbel tau = 0.01), fit a tabular prior, sample with it.
const data = ring(4000, 5000);
const zData = await encodeLatents(encoder, data, { rng: new PhiloxRng(5001), tau: 0.01 });
const tabular = TabularPrior.fit(zData, { smoothing: 0.5 });
{
  const r = await run(18, 5100);
  const sigmas = r.sigmas;
  const withTab = await discoSample(disco, (d, o) => heunSample(d, r.x0, sigmas, o), { prior: tabular, rows: n, rng: new PhiloxRng(5002) });
  console.log(`\ntabular prior fitted to ${data.rows} encoded points: W1 ${w1(withTab.x).toFixed(4)} (ONNX prior ${w1(r.withLatents.x).toFixed(4)}), 18 Heun steps`);
}

// 6. DisCo-Diff with Restart (the thesis' best ImageNet-64 result pairs them).
{
  const sigmas = edmSchedule({ steps: 12, sigmaMin, sigmaMax });
  const rng = new PhiloxRng(6000);
  const x0 = edmKernel().prior([n, 2], sigmas[0]!, rng);
  const res = await discoSample(disco, (d, o) => restartSample(d, x0, sigmas, { ...o, rng, levels: { 0: [3, 2, 0.06, 0.3] } }), {
    prior,
    rows: n,
    rng: new PhiloxRng(6001),
  });
  console.log(`Restart (12 steps, {0: [3, 2, 0.06, 0.30]}): NFE ${res.nfe}, W1 ${w1(res.x).toFixed(4)}`);
}

writeFileSync(svgPath, figure());
console.log(`\nwrote ${svgPath}`);
await Promise.all([disco.dispose(), base.dispose(), prior.dispose(), encoder.dispose()]);

// ---------------------------------------------------------------- figure
function figure(): string {
  const W = 1080;
  const H = 360;
  const panel = 330;
  const parts: string[] = [];
  const colors = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#1f78b4', '#666', '#999', '#b15928', '#6a3d9a', '#fb9a99', '#33a02c', '#cab2d6', '#ff7f00'];
  const scatter = (ox: number, title: string, x: Tensor, color: (r: number) => string, paths?: readonly Tensor[], pathColor?: (r: number) => string) => {
    const s = (v: number) => (v + 4.5) * (panel / 9);
    parts.push(`<g transform="translate(${ox},20)"><rect width="${panel}" height="${panel}" fill="none" stroke="#ccc"/>`);
    parts.push(`<text x="${panel / 2}" y="-6" text-anchor="middle" font-size="13">${title}</text>`);
    if (paths) {
      for (let r = 0; r < Math.min(40, x.rows); r++) {
        const pts = paths
          .filter((p) => Math.abs(p.data[2 * r]!) < 4.5 && Math.abs(p.data[2 * r + 1]!) < 4.5)
          .map((p) => `${s(p.data[2 * r]!).toFixed(1)},${s(-p.data[2 * r + 1]!).toFixed(1)}`);
        parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${pathColor!(r)}" stroke-opacity="0.5" stroke-dasharray="2,2"/>`);
      }
    }
    for (let r = 0; r < Math.min(600, x.rows); r++) {
      const px = x.data[2 * r]!;
      const py = x.data[2 * r + 1]!;
      if (Math.abs(px) < 4.5 && Math.abs(py) < 4.5) parts.push(`<circle cx="${s(px).toFixed(1)}" cy="${s(-py).toFixed(1)}" r="1.6" fill="${color(r)}" fill-opacity="0.7"/>`);
    }
    parts.push('</g>');
  };
  const zc = (r: number) => colors[(traj.withLatents.z.get(r, 0) * disco.space.k + traj.withLatents.z.get(r, 1)) % colors.length]!;
  scatter(10, 'data', ring(600, 9000), () => '#444');
  scatter(360, `without latents (Heun 35 steps)`, traj.without.x, () => '#1f78b4', traj.without.trajectory, () => '#1f78b4');
  scatter(710, 'DisCo-Diff (colour = latent z)', traj.withLatents.x, zc, traj.withLatents.trajectory, zc);
  const curv = figureCurvature();
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 380}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${parts.join('\n')}
<g transform="translate(0,${H + 10})">${curv}</g>
</svg>
`;
}

function figureCurvature(): string {
  // Left: mean curvature vs t (log-log). Right: W1 vs NFE.
  const out: string[] = [];
  const pw = 460;
  const ph = 300;
  const axes = (ox: number, title: string, xlab: string, ylab: string) => {
    out.push(`<g transform="translate(${ox},20)"><rect width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    out.push(`<text x="${pw / 2}" y="-6" text-anchor="middle" font-size="13">${title}</text>`);
    out.push(`<text x="${pw / 2}" y="${ph + 32}" text-anchor="middle" font-size="12">${xlab}</text>`);
    out.push(`<text transform="translate(-42,${ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${ylab}</text>`);
  };
  const line = (pts: [number, number][], color: string) => `<polyline points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`;
  // Curvature.
  const ts = kd.map((c) => Math.log10(c.t));
  const ys = [...kd, ...kb].map((c) => Math.log10(Math.max(c.mean, 1e-8)));
  const [t0, t1] = [Math.min(...ts), Math.max(...ts)];
  const [y0, y1] = [Math.floor(Math.min(...ys)), Math.ceil(Math.max(...ys))];
  const X = (t: number) => ((Math.log10(t) - t0) / (t1 - t0)) * pw;
  const Y = (k: number) => ph - ((Math.log10(Math.max(k, 1e-8)) - y0) / (y1 - y0)) * ph;
  axes(70, 'mean curvature along the ODE (thesis Fig. 4.4a)', 'noise level t (log scale)', 'E[kappa] (log scale)');
  for (let e = Math.ceil(t0); e <= Math.floor(t1); e++) out.push(`<text x="${X(10 ** e).toFixed(1)}" y="${ph + 14}" text-anchor="middle" font-size="10">1e${e}</text>`);
  for (let e = y0; e <= y1; e += 2) out.push(`<text x="-4" y="${Y(10 ** e).toFixed(1)}" text-anchor="end" font-size="10">1e${e}</text>`);
  out.push(line(kb.map((c) => [X(c.t), Y(c.mean)]), '#1f78b4'));
  out.push(line(kd.map((c) => [X(c.t), Y(c.mean)]), '#d95f02'));
  out.push(`<text x="10" y="${ph - 26}" font-size="12" fill="#d95f02">with latents</text><text x="10" y="${ph - 10}" font-size="12" fill="#1f78b4">without latents</text></g>`);
  // W1 vs NFE.
  const nfes = w1Rows.map((r) => r.nfe);
  const wv = w1Rows.flatMap((r) => [r.d, r.b]);
  const [n0, n1] = [0, Math.max(...nfes) * 1.05];
  const [w0, w1max] = [0, Math.max(...wv, floor) * 1.1];
  const XN = (v: number) => ((v - n0) / (n1 - n0)) * pw;
  const YW = (v: number) => ph - ((v - w0) / (w1max - w0)) * ph;
  axes(590, 'sliced W1 to data vs NFE (Heun)', 'NFE', 'sliced W1');
  for (const v of nfes) out.push(`<text x="${XN(v).toFixed(1)}" y="${ph + 14}" text-anchor="middle" font-size="10">${v}</text>`);
  for (let k = 0; k <= 4; k++) out.push(`<text x="-4" y="${YW((w1max * k) / 4).toFixed(1)}" text-anchor="end" font-size="10">${((w1max * k) / 4).toFixed(2)}</text>`);
  out.push(`<line x1="0" x2="${pw}" y1="${YW(floor).toFixed(1)}" y2="${YW(floor).toFixed(1)}" stroke="#999" stroke-dasharray="4,3"/><text x="${pw - 4}" y="${(YW(floor) - 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#777">fresh data (sampling floor)</text>`);
  out.push(line(w1Rows.map((r) => [XN(r.nfe), YW(r.b)]), '#1f78b4'));
  out.push(line(w1Rows.map((r) => [XN(r.nfe), YW(r.d)]), '#d95f02'));
  out.push(`<text x="${pw - 110}" y="18" font-size="12" fill="#d95f02">with latents</text><text x="${pw - 110}" y="34" font-size="12" fill="#1f78b4">without latents</text></g>`);
  return out.join('\n');
}
