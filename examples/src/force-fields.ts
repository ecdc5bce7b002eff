// Seed 000's trajectory force fields at CPU scale with the exact empirical fields of @phys/fields:
// (1) single-sample straight trajectories are straight, superposed ones bend (2-D mixture and a
// Fashion-MNIST subset); (2) the ON sweep of Table 2 (ON straight segments, quality, NFE and the
// composite index); (3) straight vs curves vs Gaussian diffusion at equal NFE; (4) the Sec. 4.4
// indicator between priors. Numbers for docs/force-fields.md, figure docs/force-fields.svg.
// Run: npm run build -w @phys/examples && node examples/dist/force-fields.js [--fashion-rows 500] [--svg PATH]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { PhiloxRng, Tensor, type Denoiser } from '@phys/tensor';
import {
  bezierPath,
  boxPrior,
  edmKernel,
  edmSchedule,
  gaussianPrior,
  radialPrior,
  segmentedPath,
  straightPath,
  trigPath,
  type PathPrior,
  type TrajectoryPath,
  type VelocityModel,
} from '@phys/kernels';
import { empiricalDenoiser, empiricalVelocityField, trajectoryIndicator } from '@phys/fields';
import { eulerSample, flowRk45Sample, flowSample, flowTimes, heunSample } from '@phys/samplers';
import { compositeIndex, slicedWasserstein } from '@phys/metrics';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};
const svgPath = opt('--svg', 'docs/force-fields.svg');
const fashionRows = Number(opt('--fashion-rows', '500'));
const FASHION = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';

// ---------------------------------------------------------------- data and metrics
/** 8 Gaussians, std 0.2, on a circle of radius 3 (the mixture of tools/disco and tools/flow2d). */
function ring(count: number, seed: number): Tensor {
  const rng = new PhiloxRng(seed);
  const g = rng.normal([count, 2], 'float64').data;
  const x = Tensor.zeros([count, 2], 'float64');
  for (let i = 0; i < count; i++) {
    const a = (2 * Math.PI * (i % 8)) / 8;
    x.data[2 * i] = 3 * Math.cos(a) + 0.2 * g[2 * i]!;
    x.data[2 * i + 1] = 3 * Math.sin(a) + 0.2 * g[2 * i + 1]!;
  }
  return x;
}
const MEANS = Array.from({ length: 8 }, (_, k) => [3 * Math.cos((2 * Math.PI * k) / 8), 3 * Math.sin((2 * Math.PI * k) / 8)] as const);

/** Inception-score analogue: exp E_x KL(p(y|x) || p(y)) with p(y|x) the responsibilities of the 8 mixture components (at most 8). */
function modeScore(x: Tensor): number {
  const n = x.rows;
  const post: number[][] = [];
  const marg = new Array<number>(8).fill(0);
  for (let i = 0; i < n; i++) {
    const l = MEANS.map(([mx, my]) => -((x.data[2 * i]! - mx) ** 2 + (x.data[2 * i + 1]! - my) ** 2) / (2 * 0.04));
    const m = Math.max(...l);
    const w = l.map((v) => Math.exp(v - m));
    const z = w.reduce((s, v) => s + v, 0);
    const p = w.map((v) => v / z);
    post.push(p);
    p.forEach((v, k) => (marg[k]! += v / n));
  }
  let kl = 0;
  for (const p of post) for (let k = 0; k < 8; k++) if (p[k]! > 0) kl += (p[k]! * Math.log(p[k]! / marg[k]!)) / n;
  return Math.exp(kl);
}

/** FID analogue in 2-D: the Frechet distance of Gaussian fits, tr sqrt(C1 C2) = sqrt(tr(C1 C2) + 2 sqrt(det C1 det C2)). */
function frechet2d(x: Tensor, y: Tensor): number {
  const fit = (t: Tensor) => {
    const n = t.rows;
    let mx = 0;
    let my = 0;
    for (let i = 0; i < n; i++) {
      mx += t.data[2 * i]! / n;
      my += t.data[2 * i + 1]! / n;
    }
    let a = 0;
    let b = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const dx = t.data[2 * i]! - mx;
      const dy = t.data[2 * i + 1]! - my;
      a += (dx * dx) / (n - 1);
      b += (dx * dy) / (n - 1);
      c += (dy * dy) / (n - 1);
    }
    return { mx, my, a, b, c };
  };
  const p = fit(x);
  const q = fit(y);
  const trProd = p.a * q.a + 2 * p.b * q.b + p.c * q.c;
  const det = (p.a * p.c - p.b * p.b) * (q.a * q.c - q.b * q.b);
  return (p.mx - q.mx) ** 2 + (p.my - q.my) ** 2 + p.a + p.c + q.a + q.c - 2 * Math.sqrt(trProd + 2 * Math.sqrt(Math.max(det, 0)));
}

const rms = (x: Tensor, y: Tensor): number => {
  let s = 0;
  for (let k = 0; k < x.data.length; k++) s += (x.data[k]! - y.data[k]!) ** 2;
  return Math.sqrt(s / x.rows);
};

/** Per row: largest distance of the recorded states from the chord (first to last state), over the chord length; mean over rows. */
function bending(traj: readonly Tensor[]): number {
  const rows = traj[0]!.rows;
  const n = traj[0]!.rowSize;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const p0 = traj[0]!.data.subarray(i * n, i * n + n);
    const p1 = traj[traj.length - 1]!.data.subarray(i * n, i * n + n);
    let dd = 0;
    for (let j = 0; j < n; j++) dd += (p1[j]! - p0[j]!) ** 2;
    let m = 0;
    for (const x of traj) {
      const w = x.data.subarray(i * n, i * n + n);
      let proj = 0;
      for (let j = 0; j < n; j++) proj += ((w[j]! - p0[j]!) * (p1[j]! - p0[j]!)) / dd;
      let off = 0;
      for (let j = 0; j < n; j++) off += (w[j]! - p0[j]! - proj * (p1[j]! - p0[j]!)) ** 2;
      m = Math.max(m, Math.sqrt(off));
    }
    total += m / Math.sqrt(dd) / rows;
  }
  return total;
}

/** The converged endpoint: RK45 (rtol = atol = 1e-7) segment by segment down to sigma = 1e-4, returned at t = 0 via x0 = x/a. */
async function exactEndpoint(v: VelocityModel, path: TrajectoryPath, x1: Tensor): Promise<Tensor> {
  const tEnd = path.tOfSigma(1e-4);
  const edges = [1, ...[...path.knots].reverse(), tEnd];
  let x = x1;
  for (let s = 0; s + 1 < edges.length; s++) x = (await flowRk45Sample(v, x, { tStart: edges[s]!, tEnd: edges[s + 1]!, rtol: 1e-7, atol: 1e-7 })).x;
  const a = path.coefficients(tEnd).a;
  return Tensor.from(x.data.map((q) => q / a), x.shape, 'float64');
}

/** RK45 segment by segment (restarting at every knot) at PFGM's tolerance 1e-4, down to t = 1e-3: samples and NFE. */
async function rk45Segments(v: VelocityModel, path: TrajectoryPath, x1: Tensor, tol: number): Promise<{ x: Tensor; nfe: number }> {
  const edges = [1, ...[...path.knots].reverse(), 1e-3];
  let x = x1;
  let nfe = 0;
  for (let s = 0; s + 1 < edges.length; s++) {
    const r = await flowRk45Sample(v, x, { tStart: edges[s]!, tEnd: edges[s + 1]!, rtol: tol, atol: tol });
    x = r.x;
    nfe += r.nfe;
  }
  return { x, nfe };
}

const PATHS: [string, TrajectoryPath][] = [
  ['straight', straightPath()],
  ['trig (theta = pi/2)', trigPath()],
  ['bezier (lambda = 0.5)', bezierPath({ lambda: 0.5 })],
  ['ON = 4 segments', segmentedPath({ segments: 4 })],
];
const gauss = gaussianPrior();
const out: string[] = [];
const log = (s = ''): void => {
  console.log(s);
  out.push(s);
};

// ---------------------------------------------------------------- 1. straightness, 2-D
const reference = ring(64, 11);
const fresh = ring(4000, 12);
log('## 1. Straight vs superposed trajectories (2-D, 8-Gaussian ring, 64 reference points)');
log('| path | one ref.: bending | one ref.: 1 Euler step error | 64 refs: bending | 64 refs: 1 Euler step error |');
log('| --- | --- | --- | --- | --- |');
const x1Plot = gauss.sample([256, 2], new PhiloxRng(21), 'float64');
const trajectories: Record<string, readonly Tensor[]> = {};
for (const [name, path] of PATHS) {
  const one = reference.sliceRows(0, 1);
  const vOne = empiricalVelocityField(one, path, gauss);
  const vMany = empiricalVelocityField(reference, path, gauss);
  const ts = flowTimes(Math.max(1, 200 / Math.max(1, path.knots.length + 1)), path);
  const trOne = await flowSample(vOne, x1Plot, ts, { solver: 'heun', trajectory: true });
  const trMany = await flowSample(vMany, x1Plot, ts, { solver: 'heun', trajectory: true });
  trajectories[name] = trMany.trajectory!;
  const stepOne = await flowSample(vOne, x1Plot, [1, 0]);
  const target = Tensor.from(Array.from({ length: 256 * 2 }, (_, k) => one.data[k % 2]!), [256, 2], 'float64');
  const exact = await exactEndpoint(vMany, path, x1Plot);
  const stepMany = await flowSample(vMany, x1Plot, [1, 0]);
  log(`| ${name} | ${bending(trOne.trajectory!).toExponential(2)} | ${rms(stepOne.x, target).toExponential(2)} | ${bending(trMany.trajectory!).toFixed(3)} | ${rms(stepMany.x, exact).toFixed(3)} |`);
}
log();

// ---------------------------------------------------------------- 2. ON sweep (Table 2)
log('## 2. ON sweep (Table 2 redone): ON straight segments on the trig curve, Gaussian prior, 500 samples');
const x1Sweep = gauss.sample([500, 2], new PhiloxRng(31), 'float64');
const ons = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16];
interface SweepRow {
  on: number;
  is: number;
  fd: number;
  w1: number;
  nfe: number;
  isE: number;
  fdE: number;
  errE: number;
}
const sweep: SweepRow[] = [];
const exactSweep = await exactEndpoint(empiricalVelocityField(reference, straightPath(), gauss), straightPath(), x1Sweep);
for (const on of ons) {
  const path = segmentedPath({ segments: on });
  const v = empiricalVelocityField(reference, path, gauss);
  const r = await rk45Segments(v, path, x1Sweep, 1e-4);
  // Fixed budget: 2 Euler steps per segment (NFE = 2 ON).
  const e = await flowSample(v, x1Sweep, flowTimes(2, path));
  sweep.push({
    on,
    is: modeScore(r.x),
    fd: frechet2d(r.x, fresh),
    w1: slicedWasserstein(r.x, fresh, { projections: 64 }).distance,
    nfe: r.nfe,
    isE: modeScore(e.x),
    fdE: frechet2d(e.x, fresh),
    errE: rms(e.x, exactSweep),
  });
}
const idx = compositeIndex([
  { name: 'IS', values: sweep.map((r) => r.is), higherIsBetter: true },
  { name: 'FD', values: sweep.map((r) => r.fd), higherIsBetter: false },
  { name: 'NFE', values: sweep.map((r) => r.nfe), higherIsBetter: false },
]);
const idxE = compositeIndex([
  { name: 'IS', values: sweep.map((r) => r.isE), higherIsBetter: true },
  { name: 'FD', values: sweep.map((r) => r.fdE), higherIsBetter: false },
  { name: 'NFE', values: sweep.map((r) => 2 * r.on), higherIsBetter: false },
]);
log('| ON | RK45 1e-4: mode IS | FD | sliced W1 | NFE | index | Euler 2/segment: mode IS | FD | RMS to exact | NFE | index |');
log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
sweep.forEach((r, i) => {
  log(`| ${r.on} | ${r.is.toFixed(3)} | ${r.fd.toFixed(4)} | ${r.w1.toFixed(4)} | ${r.nfe} | ${idx.index[i]!.toFixed(3)} | ${r.isE.toFixed(3)} | ${r.fdE.toFixed(4)} | ${r.errE.toFixed(3)} | ${2 * r.on} | ${idxE.index[i]!.toFixed(3)} |`);
});
log(`weights (IS, FD, NFE): RK45 ${Array.from(idx.weights, (w) => w.toFixed(3)).join(', ')}; Euler ${Array.from(idxE.weights, (w) => w.toFixed(3)).join(', ')}`);
log(`fresh data: mode IS ${modeScore(ring(500, 13)).toFixed(3)}, FD ${frechet2d(ring(500, 13), fresh).toFixed(4)}, sliced W1 ${slicedWasserstein(ring(500, 13), fresh, { projections: 64 }).distance.toFixed(4)}`);
log();

// ---------------------------------------------------------------- 3. equal NFE
log('## 3. Straight vs curves vs Gaussian diffusion at equal NFE (2-D, Gaussian prior, same 500 prior draws)');
log('RMS distance to the converged ODE endpoint (the same for every row: all share one transport map), Euler; EDM = Euler on the EDM schedule (rho = 7, sigma 80 -> 0.002 -> 0) of the ideal denoiser.');
const nfes = [2, 4, 8, 16, 32];
/** Euler with n evaluations: uniform in t, or n/ON per segment of a multi-segment path (undefined when n < ON). */
const eulerN = async (v: VelocityModel, path: TrajectoryPath, x1: Tensor, n: number): Promise<Tensor | undefined> => {
  const segments = path.knots.length + 1;
  if (n % segments !== 0) return undefined;
  return (await flowSample(v, x1, flowTimes(n / segments, path))).x;
};
const families: [string, (n: number) => Promise<Tensor | undefined>][] = PATHS.map(([name, path]) => [name, (n: number) => eulerN(empiricalVelocityField(reference, path, gauss), path, x1Sweep, n)]);
const ideal: Denoiser = empiricalDenoiser(reference, edmKernel());
families.push([
  'Gaussian diffusion (EDM)',
  async (n: number) => {
    const sigmas = n === 1 ? [80, 0] : edmSchedule({ steps: n, sigmaMin: 0.002, sigmaMax: 80 });
    const xs = Tensor.from(x1Sweep.data.map((q) => 80 * q), x1Sweep.shape, 'float64');
    return (await eulerSample(ideal, xs, sigmas)).x;
  },
]);
const curves: Record<string, number[]> = {};
log(`| family | ${nfes.map((n) => `NFE ${n}`).join(' | ')} |`);
log(`| --- | ${nfes.map(() => '---').join(' | ')} |`);
for (const [name, run] of families) {
  const errs: number[] = [];
  for (const n of nfes) {
    const x = await run(n);
    errs.push(x ? rms(x, exactSweep) : NaN);
  }
  curves[name] = errs;
  log(`| ${name} | ${errs.map((e) => (Number.isNaN(e) ? '-' : e.toFixed(3))).join(' | ')} |`);
}
const heun = await heunSample(ideal, Tensor.from(x1Sweep.data.map((q) => 80 * q), x1Sweep.shape, 'float64'), edmSchedule({ steps: 9, sigmaMin: 0.002, sigmaMax: 80 }));
const heunFine = await heunSample(ideal, Tensor.from(x1Sweep.data.map((q) => 80 * q), x1Sweep.shape, 'float64'), edmSchedule({ steps: 200, sigmaMin: 0.002, sigmaMax: 80 }));
log(`(EDM Heun, 9 steps = ${heun.nfe} NFE: ${rms(heun.x, exactSweep).toFixed(3)}; EDM Heun 200 steps: ${rms(heunFine.x, exactSweep).toFixed(3)}, the floor from starting at x~ = 80 x1 instead of t = 1)`);
log();

// ---------------------------------------------------------------- 4. priors and the Sec. 4.4 indicator
log('## 4. Priors: straight path, Euler at equal NFE (RMS to each prior\'s own converged endpoint), and the Sec. 4.4 indicator against the Gaussian');
const priors: [string, PathPrior][] = [
  ['Gaussian', gauss],
  ['radius U[0, 3] x direction', radialPrior({ radius: { kind: 'uniform', min: 0, max: 3 } })],
  ['PFGM hemisphere (betaPrime D = 1, r = 1)', radialPrior({ radius: { kind: 'betaPrime', D: 1, r: 1 } })],
  ['box [-2, 2]^2', boxPrior({ halfWidth: 2 })],
];
log(`| prior | ${[2, 8, 32].map((n) => `Euler ${n}`).join(' | ')} | mode IS (ref.) | FD (ref.) | indicator at sigma = 0.5 / 2 |`);
log('| --- | --- | --- | --- | --- | --- | --- |');
const xi = ring(400, 41);
for (const [name, prior] of priors) {
  const v = empiricalVelocityField(reference, straightPath(), prior);
  const x1 = prior.sample([500, 2], new PhiloxRng(51), 'float64');
  // Bounded and singular priors make the field discontinuous, which stalls a tight RK45: the
  // reference endpoint here is 1000 midpoint steps (2000 NFE).
  const exact = (await flowSample(v, x1, flowTimes(1000), { solver: 'midpoint' })).x;
  const errs: string[] = [];
  for (const n of [2, 8, 32]) errs.push(rms((await flowSample(v, x1, flowTimes(n))).x, exact).toFixed(3));
  const ind: string[] = [];
  for (const sigma of [0.5, 2]) {
    const xs = Tensor.from(xi.data.map((q, k) => q + sigma * (k % 3 === 0 ? 0.5 : -0.3)), xi.shape, 'float64');
    ind.push((await trajectoryIndicator({ path: straightPath(), velocity: empiricalVelocityField(reference, straightPath(), gauss) }, { path: straightPath(), velocity: v }, xs, sigma)).toFixed(3));
  }
  log(`| ${name} | ${errs.join(' | ')} | ${modeScore(exact).toFixed(3)} | ${frechet2d(exact, fresh).toFixed(4)} | ${ind.join(' / ')} |`);
}
log();

// ---------------------------------------------------------------- 5. Fashion-MNIST subset
if (existsSync(FASHION)) {
  const raw = gunzipSync(readFileSync(FASHION));
  const rows = fashionRows;
  const data = Tensor.zeros([rows, 784], 'float64');
  for (let i = 0; i < rows * 784; i++) data.data[i] = (raw[16 + i]! / 255) * 2 - 1;
  log(`## 5. Fashion-MNIST subset (first ${rows} training images in [-1, 1], 784-d, exact empirical fields, 16 samples)`);
  log('| path | one ref.: bending | one ref.: 1 Euler step error | subset: bending | subset: RMS to exact, Euler NFE 4 / 8 / 16 |');
  log('| --- | --- | --- | --- | --- |');
  const x1 = gauss.sample([16, 784], new PhiloxRng(61), 'float64');
  for (const [name, path] of PATHS) {
    const one = data.sliceRows(0, 1);
    const vOne = empiricalVelocityField(one, path, gauss);
    const vMany = empiricalVelocityField(data, path, gauss);
    const ts = flowTimes(Math.max(1, 100 / (path.knots.length + 1)), path);
    const trOne = await flowSample(vOne, x1, ts, { solver: 'heun', trajectory: true });
    const trMany = await flowSample(vMany, x1, ts, { solver: 'heun', trajectory: true });
    const stepOne = await flowSample(vOne, x1, [1, 0]);
    const target = Tensor.from(Array.from({ length: 16 * 784 }, (_, k) => one.data[k % 784]!), [16, 784], 'float64');
    const exact = await exactEndpoint(vMany, path, x1);
    const errs: string[] = [];
    for (const n of [4, 8, 16]) errs.push(rms((await eulerN(vMany, path, x1, n))!, exact).toFixed(3));
    log(`| ${name} | ${bending(trOne.trajectory!).toExponential(2)} | ${rms(stepOne.x, target).toExponential(2)} | ${bending(trMany.trajectory!).toFixed(3)} | ${errs.join(' / ')} |`);
  }
  log();
} else {
  log(`(Fashion-MNIST not found at ${FASHION}: install Debian's dataset-fashion-mnist for section 5)`);
}

writeFileSync(svgPath, figure());
console.log(`wrote ${svgPath}`);

// ---------------------------------------------------------------- figure
function figure(): string {
  const parts: string[] = [];
  const panel = 300;
  const colors = ['#1f78b4', '#d95f02', '#7570b3', '#e7298a', '#66a61e'];
  const s = (v: number): number => (v + 4.5) * (panel / 9);
  const names = PATHS.map(([n]) => n);
  names.forEach((name, p) => {
    const traj = trajectories[name]!;
    const ox = 10 + p * (panel + 20);
    parts.push(`<g transform="translate(${ox},24)"><rect width="${panel}" height="${panel}" fill="none" stroke="#ccc"/>`);
    parts.push(`<text x="${panel / 2}" y="-8" text-anchor="middle" font-size="13">${name}: superposed trajectories</text>`);
    for (let i = 0; i < 64; i++) {
      const [rx, ry] = [reference.data[2 * i]!, reference.data[2 * i + 1]!];
      parts.push(`<circle cx="${s(rx).toFixed(1)}" cy="${s(-ry).toFixed(1)}" r="2" fill="#000"/>`);
    }
    // Every 4th recorded state (and the last) keeps the file small; the steps are 1/200 apart.
    const shown = traj.filter((_, k) => k % 4 === 0 || k === traj.length - 1);
    for (let r = 0; r < 40; r++) {
      const pts = shown.map((x) => `${s(x.data[2 * r]!).toFixed(1)},${s(-x.data[2 * r + 1]!).toFixed(1)}`);
      parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${colors[p]!}" stroke-opacity="0.6"/>`);
    }
    parts.push('</g>');
  });
  // Bottom left: ON sweep, NFE (log) and index. Bottom right: RMS error vs NFE.
  const pw = 560;
  const ph = 260;
  const oy = panel + 80;
  const axes = (ox: number, title: string, xlab: string, ylab: string): void => {
    parts.push(`<g transform="translate(${ox},${oy})"><rect width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    parts.push(`<text x="${pw / 2}" y="-8" text-anchor="middle" font-size="13">${title}</text>`);
    parts.push(`<text x="${pw / 2}" y="${ph + 32}" text-anchor="middle" font-size="12">${xlab}</text>`);
    parts.push(`<text transform="translate(-40,${ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${ylab}</text>`);
  };
  const line = (pts: [number, number][], color: string, dash = ''): string =>
    `<polyline points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
  {
    axes(60, 'ON sweep (RK45 1e-4 per segment): NFE and composite index', 'ON (number of straight segments)', 'NFE (log) / index (right)');
    const X = (on: number): number => ((on - 1) / 15) * pw;
    const maxN = Math.log10(Math.max(...sweep.map((r) => r.nfe)));
    const minN = Math.log10(Math.min(...sweep.map((r) => r.nfe)));
    const YN = (n: number): number => ph - ((Math.log10(n) - minN) / (maxN - minN + 1e-9)) * ph * 0.9 - 10;
    const i0 = Math.min(...idx.index);
    const i1 = Math.max(...idx.index);
    const YI = (v: number): number => ph - ((v - i0) / (i1 - i0 + 1e-12)) * ph * 0.9 - 10;
    parts.push(line(sweep.map((r) => [X(r.on), YN(r.nfe)]), '#1f78b4'));
    parts.push(line(sweep.map((r, i) => [X(r.on), YI(idx.index[i]!)]), '#d95f02', '4,3'));
    for (const r of sweep) parts.push(`<text x="${X(r.on).toFixed(1)}" y="${ph + 14}" text-anchor="middle" font-size="10">${r.on}</text>`);
    parts.push(`<text x="10" y="16" font-size="11" fill="#1f78b4">NFE ${Math.min(...sweep.map((r) => r.nfe))}..${Math.max(...sweep.map((r) => r.nfe))}</text>`);
    parts.push(`<text x="10" y="32" font-size="11" fill="#d95f02">index (dashed) ${i0.toFixed(2)}..${i1.toFixed(2)}</text>`);
    parts.push('</g>');
  }
  {
    axes(60 + pw + 90, 'RMS distance to the converged sample vs NFE (Euler)', 'NFE (log)', 'RMS error (log)');
    const lx = (n: number): number => ((Math.log2(n) - 1) / 4) * pw;
    const all = Object.values(curves).flat().filter((e) => !Number.isNaN(e));
    const e0 = Math.log10(Math.min(...all));
    const e1 = Math.log10(Math.max(...all));
    const Y = (e: number): number => ph - ((Math.log10(e) - e0) / (e1 - e0)) * ph * 0.9 - 10;
    Object.entries(curves).forEach(([name, errs], k) => {
      parts.push(line(nfes.flatMap((n, i): [number, number][] => (Number.isNaN(errs[i]!) ? [] : [[lx(n), Y(errs[i]!)]])), colors[k]!));
      parts.push(`<text x="${pw - 8}" y="${16 + 15 * k}" text-anchor="end" font-size="11" fill="${colors[k]!}">${name}</text>`);
    });
    for (const n of nfes) parts.push(`<text x="${lx(n).toFixed(1)}" y="${ph + 14}" text-anchor="middle" font-size="10">${n}</text>`);
    parts.push(`<text x="-4" y="${Y(10 ** e0).toFixed(1)}" text-anchor="end" font-size="10">${(10 ** e0).toFixed(3)}</text>`);
    parts.push(`<text x="-4" y="${Y(10 ** e1).toFixed(1)}" text-anchor="end" font-size="10">${(10 ** e1).toFixed(2)}</text>`);
    parts.push('</g>');
  }
  const W = 4 * (panel + 20);
  const H = oy + ph + 60;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${parts.join('\n')}
</svg>
`;
}
