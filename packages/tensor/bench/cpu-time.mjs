// The backend operations behind the fast-path rows, current build against an older one
// (BENCH_OLD_REF, default 1320d99, built by ./old-build.mjs), timed in CPU time of this process
// (process.cpuUsage) rather than wall time: on a machine shared with other work, CPU time per call
// is far less disturbed by waiting for a core. Single-threaded WasmBackend of each build; median
// of calls 11-40 (the first calls include V8's compilation and tier-up), alternating the builds.
//   npm run build -w @phys/tensor && node packages/tensor/bench/cpu-time.mjs
import * as current from '@phys/tensor';
import { oldTensorBuild } from './old-build.mjs';

const { sha, url } = oldTensorBuild(process.env.BENCH_OLD_REF ?? '1320d99');
const old = await import(url);
const CALLS = 40;
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

function cases(lib) {
  const be = new lib.WasmBackend();
  const rng = new lib.PhiloxRng(7);
  const a = rng.normal([64, 3072]);
  const b = rng.normal([64, 3072]);
  const out = a.clone();
  const normals = lib.Tensor.zeros([4, 250_000]);
  const draw = { key0: 1, key1: 2, call: 0, sampleOffset: 0, stream: 0 };
  const d = (B, n, N) => [rng.normal([B, N]), rng.normal([n, N])];
  const [x1, y1] = d(128, 1024, 768);
  const [x2, y2] = d(256, 2000, 20);
  const [x3, y3] = d(1024, 1024, 2);
  const logits = rng.normal([256, 2000], 'float64').data;
  const w = { data: new Float64Array(256 * 2000).fill(1 / 2000), rows: 256, cols: 2000 };
  return {
    'axpby 64x3072': () => be.axpby(0.7, a, 0.3, b, out),
    'lincomb 3 terms 64x3072': () => be.lincomb([[0.7, a], [0.3, b], [0.1, out]], out),
    'rowDot 64x3072': () => be.rowDot(a, b),
    'firstNonFinite 64x3072': () => be.firstNonFinite(a),
    'normals 1M': () => be.philoxNormal(normals, draw),
    'pairwiseSqDist 128x1024x768': () => be.pairwiseSqDist(x1, y1),
    'pairwiseSqDist 256x2000x20': () => be.pairwiseSqDist(x2, y2),
    'pairwiseSqDist 1024x1024x2': () => be.pairwiseSqDist(x3, y3),
    'softmaxRows 256x2000': () => be.softmaxRows({ data: logits.slice(), rows: 256, cols: 2000 }),
    'weightedSum 256x2000x20': () => be.weightedSum(w, y2),
  };
}

const builds = { current: cases(current), [sha]: cases(old) };
const times = {};
for (const name of Object.keys(builds.current)) {
  for (let i = 0; i < CALLS; i++) {
    for (const [build, c] of Object.entries(builds)) {
      const t0 = process.cpuUsage();
      c[name]();
      const t = process.cpuUsage(t0);
      if (i >= 10) ((times[name] ??= {})[build] ??= []).push((t.user + t.system) / 1000);
    }
  }
}
console.log(`| operation | current CPU ms | ${sha} CPU ms | current / ${sha} |`);
console.log('| --- | ---: | ---: | ---: |');
for (const [name, t] of Object.entries(times)) {
  const [c, o] = [median(t.current), median(t[sha])];
  console.log(`| ${name} | ${c.toFixed(3)} | ${o.toFixed(3)} | ${(c / o).toFixed(2)} |`);
}
