// Particle guidance on the 2-D mixture of thesis App. B.4.2 (Fig. B.20): 10 Gaussians (variance
// 0.005) on the unit circle with the exact denoiser. Batches of n particles are sampled jointly
// (Euler-Maruyama, 25 EDM steps, sigma_max = 10) with several potentials and compared with i.i.d.
// batches at the same NFE: mean number of distinct modes per batch (nearest centre, as the
// reference notebook counts), the fraction of samples within 0.25 of a mode and the in-batch
// similarity (mean pairwise cosine similarity, thesis App. B.4.2, of the 2-D positions). Writes the figure
// to docs/particle-guidance.svg.
// Run: npm run build -w @phys/examples && node examples/dist/particle-guidance-2d.js [groups=200] [--svg PATH]
import { writeFileSync } from 'node:fs';
import { PhiloxRng, Tensor, type Denoiser } from '@phys/tensor';
import { edmSchedule } from '@phys/kernels';
import { ringMixture } from '@phys/fields';
import { expectedModesIid, inBatchSimilarity, modeCoverage } from '@phys/metrics';
import {
  eulerMaruyamaSample,
  featureKernel,
  gatedScale,
  particleGuidance,
  rbfKernel,
  svgdGuidance,
  thesisScale,
  withParticleGuidance,
  type ParticleGuidance,
} from '@phys/samplers';

const args = process.argv.slice(2);
const groups = Number(args.find((a) => /^\d+$/.test(a)) ?? 200);
const svgIndex = args.indexOf('--svg');
const svgPath = svgIndex >= 0 ? args[svgIndex + 1]! : 'docs/particle-guidance.svg';

const mixture = ringMixture();
const centers = new Tensor(mixture.means, [mixture.components, 2]);
const steps = 25;
const sigmas = edmSchedule({ steps, sigmaMax: 10 });
const near = 0.25;
const sizes = [4, 6, 8, 10, 12, 16];

// The radial kernel of the reference notebook: an RBF on the angle of x (period 2 pi, h = pi sigma),
// carried back to x by the exact vector-Jacobian product d(angle)/dx = (-y, x)/r^2.
const angle = (u: Tensor): Promise<Tensor> => Promise.resolve(Tensor.from(Array.from({ length: u.rows }, (_, i) => Math.atan2(u.data[2 * i + 1]!, u.data[2 * i]!)), [u.rows, 1], 'float64'));
const angleVjp = (u: Tensor, v: Tensor): Promise<Tensor> => {
  const out = Tensor.zeros(u.shape, 'float64');
  for (let i = 0; i < u.rows; i++) {
    const [x, y] = [u.data[2 * i]!, u.data[2 * i + 1]!];
    const r2 = Math.max(x * x + y * y, 1e-12);
    out.data[2 * i] = (-y / r2) * v.data[i]!;
    out.data[2 * i + 1] = (x / r2) * v.data[i]!;
  }
  return Promise.resolve(out);
};

interface Method {
  name: string;
  guidance: (n: number) => ParticleGuidance | null;
}
const methods: Method[] = [
  { name: 'i.i.d.', guidance: () => null },
  { name: 'PG rbf(median), alpha = 5 sigma', guidance: (n) => particleGuidance({ scale: thesisScale(5), groupSize: n }) },
  { name: 'PG rbf(median), 10 for sigma >= 0.3', guidance: (n) => particleGuidance({ scale: gatedScale(10, { sigmaMin: 0.3 }), groupSize: n }) },
  { name: 'PG rbf(h = sigma), 30/n (notebook)', guidance: (n) => particleGuidance({ kernel: rbfKernel({ bandwidth: (s) => s }), scale: 30 / n, groupSize: n }) },
  {
    name: 'PG radial (angle, h = pi sigma), 10',
    guidance: (n) =>
      particleGuidance({
        kernel: featureKernel({ features: angle, vjp: angleVjp, on: 'x', kernel: { period: 2 * Math.PI, bandwidth: (s) => Math.PI * s } }),
        scale: 10,
        groupSize: n,
      }),
  },
  { name: 'SVGD term, 0.5 sigma (comparison)', guidance: (n) => svgdGuidance({ scale: thesisScale(0.5), groupSize: n }) },
];

interface Result {
  modes: number;
  se: number;
  nearFraction: number;
  similarity: number;
  nfe: number;
  x: Tensor;
}

async function run(method: Method, n: number): Promise<Result> {
  const x0 = new PhiloxRng(1000 + n).normal([groups * n, 2], 'float64');
  for (let k = 0; k < x0.size; k++) x0.data[k]! *= sigmas[0]!;
  const g = method.guidance(n);
  const base = mixture.denoiser();
  const denoiser: Denoiser = g ? withParticleGuidance(base, g) : base;
  const { x, nfe } = await eulerMaruyamaSample(denoiser, x0, sigmas, { rng: new PhiloxRng(2000 + n) });
  const counts: number[] = [];
  let close = 0;
  let similarity = 0;
  for (let b = 0; b < groups; b++) {
    const batch = x.sliceRows(b * n, (b + 1) * n);
    counts.push(modeCoverage(batch, centers).covered);
    similarity += inBatchSimilarity(batch) / groups;
    close += n - modeCoverage(batch, centers, { radius: near }).unassigned;
  }
  const m = counts.reduce((a, c) => a + c, 0) / groups;
  const v = counts.reduce((a, c) => a + (c - m) ** 2, 0) / (groups - 1);
  return { modes: m, se: Math.sqrt(v / groups), nearFraction: close / (groups * n), similarity, nfe, x };
}

console.log(`2-D mixture of thesis App. B.4.2 (10 modes), Euler-Maruyama ${steps} steps (NFE ${steps} for every method), ${groups} batches per n`);
console.log('mean distinct modes per batch (+- standard error) / fraction of samples within 0.25 of a mode / in-batch similarity (positions as features)\n');
const header = ['n', 'iid expected', ...methods.map((m) => m.name)];
console.log(header.join(' | '));
const table: Map<string, Result[]> = new Map(methods.map((m) => [m.name, []]));
const started = performance.now();
for (const n of sizes) {
  const cells: string[] = [String(n), expectedModesIid(10, n).toFixed(2)];
  for (const m of methods) {
    const r = await run(m, n);
    table.get(m.name)!.push(r);
    if (r.nfe !== steps) throw new Error(`NFE ${r.nfe} != ${steps}`);
    cells.push(`${r.modes.toFixed(2)} +- ${r.se.toFixed(2)} / ${r.nearFraction.toFixed(3)} / ${r.similarity.toFixed(3)}`);
  }
  console.log(cells.join(' | '));
}
console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);

writeFileSync(svgPath, figure());
console.log(`wrote ${svgPath}`);

// ---------------------------------------------------------------- figure
function figure(): string {
  const W = 980;
  const H = 440;
  const parts: string[] = [];
  const panel = (ox: number, title: string, x: Tensor, n: number, batches: number): void => {
    const s = 100;
    const cx = ox + 150;
    const cy = 170;
    parts.push(`<text x="${cx}" y="24" text-anchor="middle" font-size="13">${title}</text>`);
    parts.push(`<rect x="${cx - 140}" y="${cy - 140}" width="280" height="280" fill="none" stroke="#ccc"/>`);
    for (let k = 0; k < 10; k++) {
      const a = (2 * Math.PI * k) / 10;
      parts.push(`<circle cx="${(cx + s * Math.cos(a)).toFixed(1)}" cy="${(cy - s * Math.sin(a)).toFixed(1)}" r="${(s * 0.0707 * 2).toFixed(1)}" fill="#f4b6b6"/>`);
    }
    const colors = ['#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e'];
    for (let b = 0; b < batches; b++) {
      for (let i = 0; i < n; i++) {
        const r = b * n + i;
        const px = cx + s * x.data[2 * r]!;
        const py = cy - s * x.data[2 * r + 1]!;
        const c = colors[b % colors.length]!;
        parts.push(`<path d="M${(px - 4).toFixed(1)} ${(py - 4).toFixed(1)} l8 8 M${(px - 4).toFixed(1)} ${(py + 4).toFixed(1)} l8 -8" stroke="${c}" stroke-width="2"/>`);
        if (i === 0) parts.push(`<text x="${cx - 140}" y="${cy + 160 + 14 * b}" font-size="11" fill="${c}">batch ${b + 1}: ${modeCoverage(x.sliceRows(b * n, (b + 1) * n), centers).covered} modes</text>`);
      }
    }
  };
  const iid10 = table.get(methods[0]!.name)![sizes.indexOf(10)]!;
  const pg10 = table.get(methods[1]!.name)![sizes.indexOf(10)]!;
  panel(0, 'i.i.d., 2 batches of n = 10', iid10.x, 10, 2);
  panel(310, 'particle guidance (rbf, 5 sigma), n = 10', pg10.x, 10, 2);
  // mode-count curves
  const ox = 660;
  const px = (n: number): number => ox + 20 + ((n - 4) / 12) * 240;
  const py = (m: number): number => 290 - ((m - 3) / 7) * 250;
  parts.push(`<text x="${ox + 140}" y="24" text-anchor="middle" font-size="13">distinct modes per batch (NFE ${steps})</text>`);
  parts.push(`<line x1="${ox + 20}" y1="290" x2="${ox + 260}" y2="290" stroke="#333"/><line x1="${ox + 20}" y1="40" x2="${ox + 20}" y2="290" stroke="#333"/>`);
  for (const n of sizes) parts.push(`<text x="${px(n)}" y="304" font-size="10" text-anchor="middle">${n}</text>`);
  for (let m = 3; m <= 10; m++) parts.push(`<text x="${ox + 15}" y="${py(m) + 3}" font-size="10" text-anchor="end">${m}</text>`);
  parts.push(`<text x="${ox + 140}" y="322" font-size="11" text-anchor="middle">batch size n</text>`);
  const line = (values: number[], color: string, dash = ''): void => {
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${values.map((v, i) => `${px(sizes[i]!).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>`);
  };
  line(sizes.map((n) => Math.min(n, 10)), '#999', '2 3');
  line(sizes.map((n) => expectedModesIid(10, n)), '#999', '6 3');
  const colors = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
  methods.forEach((m, k) => {
    line(table.get(m.name)!.map((r) => r.modes), colors[k]!);
    parts.push(`<text x="${ox - 20}" y="${342 + 12 * k}" font-size="9" fill="${colors[k]!}">${m.name}</text>`);
  });
  parts.push(`<text x="${ox - 20}" y="${342 + 12 * methods.length}" font-size="9" fill="#999">grey dashed: i.i.d. expectation N(1 - (1 - 1/N)^n); dotted: min(n, 10)</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n<rect width="${W}" height="${H}" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}
