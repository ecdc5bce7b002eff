// Thesis Sec. 5.4.1 on a CPU: the 20-d Gaussian mixture of App. B.3.2 (@phys/fields
// restartMixture20d) with its exact denoiser plus an injected, smooth approximation error. As in the
// thesis, ODE (Heun), SDE (Euler-Maruyama) and Restart run inside [t_min, t_max] = [1.0, 1.5] and the
// first-order ODE (Euler) outside; the total error W1(p_0^sampler, p_0) is measured as a sliced W1
// to fresh data. Prints the NFE sweep and writes the NFE-vs-error figure (SVG).
// Run: npm run build -w @phys/examples && node examples/dist/restart-mixture.js [--n 2000] [--eps 0.2] [--seed 0] [--svg docs/restart-nfe-vs-error.svg]
import { writeFileSync } from 'node:fs';
import { PhiloxRng, Tensor, type Denoiser } from '@phys/tensor';
import { edmKernel, edmSchedule } from '@phys/kernels';
import { restartMixture20d, type GaussianMixture } from '@phys/fields';
import { eulerMaruyamaSample, eulerSample, heunSample, restartSample, type SampleResult } from '@phys/samplers';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const n = Number(arg('n', '2000'));
const eps = Number(arg('eps', '0.2'));
const seed = Number(arg('seed', '0'));
const svgPath = arg('svg', '');

// The fast exact denoiser below uses the rank-4 covariance (Woodbury); it agrees with
// GaussianMixture.denoise to 1e-10 (checked in packages/samplers/test/restart-mixture.test.ts).
const { sqrt, exp, tanh, abs } = Math;
const D = 20;
const R = 4;

interface RestartProblem {
  /** The mixture as @phys/fields builds it (for sampling the data and cross-checks). */
  readonly mixture: GaussianMixture;
  /** Exact denoiser D(x; sigma), rank-4 Woodbury form. */
  readonly exact: Denoiser;
  /** D(x; sigma) + eps sigma tanh(W x / sqrt(1 + sigma^2) + b): |t s_theta - t grad log p| <= eps sqrt(20). */
  readonly approx: Denoiser;
}

/**
 * 0.3 N(S P a, S P P^T S) + 0.7 N(-S P a, S P P^T S), P ~ N(0, 1)^{20x4} from PhiloxRng(seed),
 * a = 3*1, S the inverse coordinate standard deviations; error field W ~ N(0, 1/20), b ~ N(0, 1)
 * from PhiloxRng(seed + 1).
 */
function restartProblem(eps: number, seed = 0): RestartProblem {
  const mixture = restartMixture20d(new PhiloxRng(seed));
  const P = new PhiloxRng(seed).normal([D, R], 'float64').data; // the same draw restartMixture20d made
  const a = 3;
  // B = S P with S_j = 1/sqrt((P P^T)_jj + (1 - 0.4^2)(P a)_j^2); component means +-B a.
  const B = new Float64Array(D * R);
  const mu = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    let pp = 0;
    let pa = 0;
    for (let q = 0; q < R; q++) {
      pp += P[j * R + q]! ** 2;
      pa += P[j * R + q]! * a;
    }
    const s = 1 / sqrt(pp + (1 - 0.4 ** 2) * pa * pa);
    for (let q = 0; q < R; q++) B[j * R + q] = s * P[j * R + q]!;
    mu[j] = s * pa;
  }
  const BtB = new Float64Array(R * R);
  for (let p = 0; p < R; p++) for (let q = 0; q < R; q++) for (let j = 0; j < D; j++) BtB[p * R + q]! += B[j * R + p]! * B[j * R + q]!;
  const Btmu = new Float64Array(R);
  for (let q = 0; q < R; q++) for (let j = 0; j < D; j++) Btmu[q]! += B[j * R + q]! * mu[j]!;
  let muSq = 0;
  for (let j = 0; j < D; j++) muSq += mu[j]! ** 2;
  const logW = [Math.log(0.3), Math.log(0.7)];

  let cachedSigma = NaN;
  const M = new Float64Array(R * R);
  const setSigma = (s: number): void => {
    if (s === cachedSigma) return;
    cachedSigma = s;
    // M = (s^2 I + B^T B)^{-1} by Gauss-Jordan on the 4x4 SPD matrix.
    const A = Float64Array.from(BtB);
    for (let p = 0; p < R; p++) A[p * R + p]! += s * s;
    M.fill(0);
    for (let p = 0; p < R; p++) M[p * R + p] = 1;
    for (let c = 0; c < R; c++) {
      const piv = A[c * R + c]!;
      for (let q = 0; q < R; q++) {
        A[c * R + q]! /= piv;
        M[c * R + q]! /= piv;
      }
      for (let r = 0; r < R; r++) {
        if (r === c) continue;
        const f = A[r * R + c]!;
        for (let q = 0; q < R; q++) {
          A[r * R + q]! -= f * A[c * R + q]!;
          M[r * R + q]! -= f * M[c * R + q]!;
        }
      }
    }
  };

  const exact: Denoiser = (x, sigma) => {
    const out = Tensor.zeros(x.shape, x.dtype);
    const v = new Float64Array(R);
    const mv = [new Float64Array(R), new Float64Array(R)];
    for (let i = 0; i < x.rows; i++) {
      const s = sigma[i]!;
      setSigma(s);
      const o = i * D;
      const btx = new Float64Array(R);
      let xSq = 0;
      let xMu = 0;
      for (let j = 0; j < D; j++) {
        const xj = x.data[o + j]!;
        xSq += xj * xj;
        xMu += xj * mu[j]!;
        for (let q = 0; q < R; q++) btx[q]! += B[j * R + q]! * xj;
      }
      // Component k has mean m_k = sgn_k mu; d_k = x - m_k; v_k = B^T d_k.
      const lw = [0, 0];
      for (let k = 0; k < 2; k++) {
        const sg = k === 0 ? 1 : -1;
        for (let q = 0; q < R; q++) v[q] = btx[q]! - sg * Btmu[q]!;
        const m = mv[k]!;
        let vMv = 0;
        for (let p = 0; p < R; p++) {
          let t = 0;
          for (let q = 0; q < R; q++) t += M[p * R + q]! * v[q]!;
          m[p] = t;
          vMv += v[p]! * t;
        }
        const dSq = xSq - 2 * sg * xMu + muSq;
        lw[k] = logW[k]! - (0.5 * (dSq - vMv)) / (s * s);
      }
      const mx = Math.max(lw[0]!, lw[1]!);
      const w0 = exp(lw[0]! - mx);
      const w1 = exp(lw[1]! - mx);
      const c0 = w0 / (w0 + w1);
      const c1 = 1 - c0;
      // D = sum_k w_k (m_k + B M v_k).
      for (let j = 0; j < D; j++) {
        let b0 = 0;
        let b1 = 0;
        for (let q = 0; q < R; q++) {
          b0 += B[j * R + q]! * mv[0]![q]!;
          b1 += B[j * R + q]! * mv[1]![q]!;
        }
        out.data[o + j] = c0 * (mu[j]! + b0) + c1 * (-mu[j]! + b1);
      }
    }
    return Promise.resolve(out);
  };

  const wr = new PhiloxRng(seed + 1);
  const W = wr.normal([D, D], 'float64').data.map((t) => t / sqrt(D));
  const b = wr.normal([1, D], 'float64').data;
  const approx: Denoiser = async (x, sigma) => {
    const out = await exact(x, sigma);
    for (let i = 0; i < x.rows; i++) {
      const s = sigma[i]!;
      const c = 1 / sqrt(1 + s * s);
      for (let j = 0; j < D; j++) {
        let u = 0;
        for (let k = 0; k < D; k++) u += W[j * D + k]! * x.data[i * D + k]!;
        out.data[i * D + j]! += eps * s * tanh(c * u + b[j]!);
      }
    }
    return out;
  };
  return { mixture, exact, approx };
}

/** Sliced W1: mean over `directions` rows of the exact 1-D W1 of equal-size projected samples. */
function slicedW1(x: Tensor, y: Tensor, directions: Tensor): number {
  const d = x.rowSize;
  const u = new Float64Array(x.rows);
  const v = new Float64Array(y.rows);
  let total = 0;
  for (let p = 0; p < directions.rows; p++) {
    const dir = directions.row(p);
    for (let i = 0; i < x.rows; i++) {
      let a = 0;
      let c = 0;
      for (let j = 0; j < d; j++) {
        a += dir[j]! * x.data[i * d + j]!;
        c += dir[j]! * y.data[i * d + j]!;
      }
      u[i] = a;
      v[i] = c;
    }
    u.sort();
    v.sort();
    let s = 0;
    for (let i = 0; i < u.length; i++) s += abs(u[i]! - v[i]!);
    total += s / u.length;
  }
  return total / directions.rows;
}

const problem = restartProblem(eps, seed);
const { approx, mixture } = problem;
const data = mixture.sample(n, new PhiloxRng(100), 'float64');
const directions = new PhiloxRng(4).direction([128, 20], 'float64');
const error = (x: Tensor): number => slicedW1(x, data, directions);
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
