// Every sampler of @phys/samplers' registry on an exact 2-D mixture of 4 Gaussians (std 0.1,
// means (+-1, +-1), weights 0.1..0.4) at 10, 18 and 35 EDM steps (sigma 80 -> 0.002, rho 7):
// mean absolute error against a 1000-step Heun solution from the same x_T (the ODE error of the
// deterministic solvers), the share of samples farther than 0.4 from every mode, and the sliced W1
// to fresh data. Prints the markdown table of docs/samplers.md and writes its plot (SVG).
// Run: npm run build -w @phys/examples && node examples/dist/samplers-accuracy.js [--n 2000] [--svg docs/samplers-accuracy.svg]
import { writeFileSync } from 'node:fs';
import { PhiloxRng, type Tensor } from '@phys/tensor';
import { edmKernel, edmSchedule } from '@phys/kernels';
import { GaussianMixture } from '@phys/fields';
import { slicedWasserstein } from '@phys/metrics';
import { heunSample, samplerRegistry } from '@phys/samplers';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const n = Number(arg('n', '2000'));
const svgPath = arg('svg', '');
const means = [[-1, -1], [-1, 1], [1, -1], [1, 1]];
const mixture = new GaussianMixture(means.map((mean, k) => ({ mean, covariance: 0.01, weight: 0.1 * (k + 1) })));
const denoiser = mixture.denoiser();
const xT = edmKernel().prior([n, 2], 80, new PhiloxRng(0), 'float64');
const reference = (await heunSample(denoiser, xT, edmSchedule({ steps: 1000 }))).x;
const data = mixture.sample(n, new PhiloxRng(100), 'float64');
const sw1 = (x: Tensor): number => slicedWasserstein(x, data, { projections: 128, seed: 4 }).distance;
const floor = sw1(mixture.sample(n, new PhiloxRng(101), 'float64'));

const mae = (x: Tensor): number => {
  let sum = 0;
  for (let i = 0; i < x.size; i++) sum += Math.abs(x.data[i]! - reference.data[i]!);
  return sum / x.size;
};
const offMode = (x: Tensor): number => {
  let off = 0;
  for (let r = 0; r < x.rows; r++) {
    const d = Math.min(...means.map(([a, b]) => Math.hypot(x.data[2 * r]! - a!, x.data[2 * r + 1]! - b!)));
    if (d > 0.4) off++;
  }
  return off / x.rows;
};

const stepsList = [10, 18, 35];
interface Point { steps: number; nfe: number; mae: number; off: number; sw1: number }
const results = new Map<string, Point[]>();
console.log(`| sampler | kind | ${stepsList.map((s) => `${s} steps: NFE, MAE, off-mode, sW1`).join(' | ')} |`);
console.log(`| --- | --- | ${stepsList.map(() => '---').join(' | ')} |`);
for (const e of samplerRegistry) {
  const pts: Point[] = [];
  for (const steps of stepsList) {
    const r = await e.sample(denoiser, xT, edmSchedule({ steps }), { rng: new PhiloxRng(1) });
    pts.push({ steps, nfe: r.nfe, mae: mae(r.x), off: offMode(r.x), sw1: sw1(r.x) });
  }
  results.set(e.name, pts);
  const cells = pts.map((p) => `${p.nfe}, ${p.mae.toPrecision(3)}, ${(100 * p.off).toFixed(1)}%, ${p.sw1.toFixed(3)}`);
  console.log(`| ${e.name} | ${e.stochastic ? 'SDE' : 'ODE'} | ${cells.join(' | ')} |`);
}
console.log(`\nsliced W1 between two data samples of ${n}: ${floor.toFixed(3)}`);

if (svgPath) {
  // Two log-log panels against NFE: MAE to the 1000-step Heun solution (ODE samplers), sliced W1 (all).
  const W = 980;
  const H = 460;
  const panel = { w: 330, h: 340, t: 40 };
  const lefts = [70, 470];
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939'];
  const all = [...results.values()].flat();
  const nfeRange = [Math.min(...all.map((p) => p.nfe)), Math.max(...all.map((p) => p.nfe))] as const;
  const lg = Math.log10;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">\n<rect width="${W}" height="${H}" fill="white"/>\n`;
  const draw = (left: number, title: string, pick: (p: Point) => number, names: string[]): void => {
    const vals = names.flatMap((k) => results.get(k)!.map(pick)).filter((v) => v > 0);
    const [y0, y1] = [Math.floor(lg(Math.min(...vals))), Math.ceil(lg(Math.max(...vals)))];
    const [x0, x1] = [lg(nfeRange[0]) - 0.05, lg(nfeRange[1]) + 0.05];
    const px = (v: number): number => left + (panel.w * (lg(v) - x0)) / (x1 - x0);
    const py = (v: number): number => panel.t + panel.h - (panel.h * (lg(v) - y0)) / (y1 - y0);
    svg += `<text x="${left + panel.w / 2}" y="${panel.t - 14}" text-anchor="middle" font-size="13">${title}</text>\n`;
    svg += `<rect x="${left}" y="${panel.t}" width="${panel.w}" height="${panel.h}" fill="none" stroke="black"/>\n`;
    for (let e = y0; e <= y1; e++) svg += `<text x="${left - 6}" y="${py(10 ** e) + 4}" text-anchor="end">1e${e}</text><line x1="${left}" x2="${left + panel.w}" y1="${py(10 ** e)}" y2="${py(10 ** e)}" stroke="#eee"/>\n`;
    for (const t of [10, 20, 35, 50, 70, 100]) if (t >= nfeRange[0] && t <= nfeRange[1]) svg += `<text x="${px(t)}" y="${panel.t + panel.h + 16}" text-anchor="middle">${t}</text>\n`;
    svg += `<text x="${left + panel.w / 2}" y="${panel.t + panel.h + 34}" text-anchor="middle">NFE (10, 18, 35 steps)</text>\n`;
    names.forEach((k, i) => {
      const c = palette[i % palette.length]!;
      const dash = i >= palette.length ? ' stroke-dasharray="4 3"' : '';
      const pts = results.get(k)!.filter((p) => pick(p) > 0);
      svg += `<polyline fill="none" stroke="${c}" stroke-width="1.5"${dash} points="${pts.map((p) => `${px(p.nfe).toFixed(1)},${py(pick(p)).toFixed(1)}`).join(' ')}"/>\n`;
    });
  };
  const names = [...results.keys()];
  const ode = samplerRegistry.filter((e) => !e.stochastic).map((e) => e.name);
  draw(lefts[0]!, 'ODE samplers: mean |x - x_Heun1000|', (p) => p.mae, ode);
  draw(lefts[1]!, `all samplers: sliced W1 to data (floor ${floor.toFixed(3)})`, (p) => p.sw1, names);
  names.forEach((k, i) => {
    const c = palette[i % palette.length]!;
    const y = 30 + 15 * i;
    svg += `<line x1="830" x2="850" y1="${y - 4}" y2="${y - 4}" stroke="${c}" stroke-width="2"${i >= palette.length ? ' stroke-dasharray="4 3"' : ''}/><text x="855" y="${y}">${k}</text>\n`;
  });
  svg += '</svg>\n';
  writeFileSync(svgPath, svg);
  console.log(`wrote ${svgPath}`);
}
