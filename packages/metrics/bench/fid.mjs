// FID on 10k x 2048 features: @phys/metrics (float64 streaming statistics, Cholesky + Householder/QL)
// against numpy + scipy as pytorch-fid computes it (np.mean, np.cov, scipy.linalg.sqrtm), on the
// same features, in the same run. Usage: npm run bench -w @phys/metrics [-- n d]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuBackend, PhiloxRng, Tensor, createWasmBackend, setBackend } from '@phys/tensor';
import { FeatureStatistics, frechetDistance } from '@phys/metrics';

// The metrics' float64 kernels run on the active backend: the WebAssembly one here.
setBackend(createWasmBackend() ?? new CpuBackend());

const n = Number(process.argv[2] ?? 10000);
const d = Number(process.argv[3] ?? 2048);
const latent = 64;

// Correlated, non-negative "pool3-like" features: relu(z W + b), z ~ N(0, I_64), float32.
function features(seed, shift) {
  const rng = new PhiloxRng(seed);
  const z = rng.normal([n, latent], 'float64').data;
  const W = new PhiloxRng(1).normal([latent, d], 'float64').data;
  const out = new Float32Array(n * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    row.fill(shift);
    for (let k = 0; k < latent; k++) {
      const zk = z[i * latent + k] / Math.sqrt(latent);
      const o = k * d;
      for (let j = 0; j < d; j++) row[j] += zk * W[o + j];
    }
    for (let j = 0; j < d; j++) out[i * d + j] = Math.max(0, row[j] + 0.1 * Math.sin(i + j));
  }
  return new Tensor(out, [n, d]);
}

const x = features(11, 0.3);
const y = features(12, 0.35);
const dir = mkdtempSync(path.join(tmpdir(), 'phys-fid-bench-'));
try {
  writeFileSync(path.join(dir, 'x.f32'), x.data);
  writeFileSync(path.join(dir, 'y.f32'), y.data);

  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const sx = FeatureStatistics.fromFeatures(x);
  const sy = FeatureStatistics.fromFeatures(y);
  const gx = sx.gaussian();
  const gy = sy.gaussian();
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const r = frechetDistance(gx, gy);
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  const cpu = (a, b) => (b.user + b.system - a.user - a.system) / 1e6;
  const js = { stats: (t1 - t0) / 1000, fid: (t2 - t1) / 1000, total: (t2 - t0) / 1000, value: r.value, cpuStats: cpu(c0, c1), cpuFid: cpu(c1, c2) };
  console.log(`@phys/metrics (1 thread, WebAssembly SIMD kernels)  n=${n} d=${d}: statistics ${js.stats.toFixed(2)} s (cpu ${js.cpuStats.toFixed(2)} s), FID from statistics ${js.fid.toFixed(2)} s (cpu ${js.cpuFid.toFixed(2)} s), total ${js.total.toFixed(2)} s, FID ${js.value} (${r.method})`);

  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fid.py');
  const py = spawnSync('/usr/bin/python3', [script, dir, String(n), String(d)], { encoding: 'utf8' });
  if (py.error || py.status !== 0) {
    console.log(`numpy/scipy reference skipped: ${py.error?.message ?? py.stderr.trim().split('\n').pop()}`);
  } else {
    for (const line of py.stdout.trim().split('\n')) {
      if (!line.startsWith('{')) {
        console.log(line);
        continue;
      }
      const ref = JSON.parse(line);
      console.log(
        `numpy+scipy (${ref.label}): statistics ${ref.stats.toFixed(2)} s (cpu ${ref.cpu_stats.toFixed(2)} s), FID from statistics ${ref.fid.toFixed(2)} s (cpu ${ref.cpu_fid.toFixed(2)} s), total ${ref.total.toFixed(2)} s, FID ${ref.value}`,
      );
      console.log(
        `  ratio JS/numpy wall: statistics ${(js.stats / ref.stats).toFixed(2)}x, FID ${(js.fid / ref.fid).toFixed(2)}x, total ${(js.total / ref.total).toFixed(2)}x; cpu: statistics ${(js.cpuStats / ref.cpu_stats).toFixed(2)}x, FID ${(js.cpuFid / ref.cpu_fid).toFixed(2)}x; |FID difference| ${Math.abs(js.value - ref.value).toExponential(2)} (relative ${(Math.abs(js.value - ref.value) / Math.abs(ref.value)).toExponential(2)}; with a float64 mean in numpy: ${(Math.abs(js.value - ref.value_mean64) / Math.abs(ref.value_mean64)).toExponential(2)})`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
