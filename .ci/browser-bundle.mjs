// The five platform-neutral packages (@phys/tensor, kernels, fields, samplers, metrics) bundled
// from their main entries (sources) by esbuild for the browser, then run in a bare `vm` context:
// no process, require, Buffer or module, only what a browser page also has (WebAssembly, the
// ECMAScript built-ins, TextEncoder/TextDecoder, console). The program samples a 2-D ring mixture
// with Heun on the empirical denoiser (the default backend: WebAssembly SIMD where available),
// draws Philox normals, round-trips FID statistics through .npz bytes (deflate) and computes a
// sliced Wasserstein distance. The same program bundled for Node must print the same numbers.
// Exit code 0 and the line `bundle: N passed, 0 failed` when all holds.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import vm from 'node:vm';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CORE = ['tensor', 'kernels', 'fields', 'samplers', 'metrics'];

const program = `
import { PhiloxRng, Tensor, getBackend, ready } from '@phys/tensor';
import { edmKernel, edmSchedule } from '@phys/kernels';
import { empiricalDenoiser, ringMixture } from '@phys/fields';
import { heunSample } from '@phys/samplers';
import { encodeFidStats, parseFidStats, slicedWasserstein } from '@phys/metrics';

export async function run() {
  const backend = await ready();
  const out = { backend: backend.name, same: getBackend() === backend };
  const mix = ringMixture({ count: 8 });
  const data = mix.sample(512, new PhiloxRng(1));
  const sigmas = edmSchedule({ steps: 12 });
  const x0 = edmKernel().prior([256, 2], sigmas[0], new PhiloxRng(2), 'float64');
  const { x, nfe } = await heunSample(empiricalDenoiser(data, edmKernel()), x0, sigmas);
  out.nfe = nfe;
  out.sw = slicedWasserstein(x, mix.sample(256, new PhiloxRng(3)), { projections: 64 }).distance;
  const z = new PhiloxRng(4).normal([64, 3072], 'float32');
  let s = 0;
  for (const v of z.data) s += v * v;
  out.normalsSq = s;
  const stats = { dim: 3, mu: Float64Array.of(1, 2, 3), sigma: Float64Array.of(2, 0, 0, 0, 3, 0, 0, 0, 4) };
  const back = parseFidStats(encodeFidStats(stats));
  out.npz = Array.from(back.sigma).join(',');
  out.globals = ['process', 'require', 'Buffer', 'module', 'global', 'setImmediate'].filter((g) => typeof globalThis[g] !== 'undefined');
  return out;
}
`;

/** Bundles the program for `platform` into one ESM/IIFE string. */
async function bundle(platform) {
  const r = await build({
    stdin: { contents: program, resolveDir: root, sourcefile: 'browser-bundle-entry.js', loader: 'js' },
    bundle: true,
    write: false,
    platform,
    format: platform === 'browser' ? 'iife' : 'esm',
    globalName: 'phys',
    target: 'es2022',
    logLevel: 'silent',
    // The main entries, from source (no build needed); their own imports resolve as published.
    alias: Object.fromEntries(CORE.map((p) => [`@phys/${p}`, path.join(root, 'packages', p, 'src', 'index.ts')])),
  });
  return r.outputFiles[0].text;
}

const checks = [];
const check = (what, ok, detail = '') => {
  checks.push(ok);
  if (!ok) console.error(`FAIL ${what}${detail ? `: ${detail}` : ''}`);
};

let browserCode;
try {
  browserCode = await bundle('browser');
  check('esbuild --platform=browser bundles the main entries', true);
} catch (e) {
  check('esbuild --platform=browser bundles the main entries', false, (e.errors ?? []).map((m) => `${m.text} (${m.location?.file ?? '?'})`).join('; ') || e.message);
}

if (browserCode !== undefined) {
  // A bare context: V8's built-ins (WebAssembly included) plus the web APIs named here.
  const context = vm.createContext({ console, TextEncoder, TextDecoder });
  let got;
  try {
    vm.runInContext(browserCode, context, { filename: 'phys-browser-bundle.js' });
    got = await vm.runInContext('phys.run()', context);
  } catch (e) {
    check('the bundle runs with no Node globals', false, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  if (got) {
    check('no Node globals in the context', got.globals.length === 0, got.globals.join(', '));
    check('ready() resolves to the active backend', got.same === true);
    const dir = mkdtempSync(path.join(tmpdir(), 'phys-bundle-'));
    try {
      const file = path.join(dir, 'node-bundle.mjs');
      writeFileSync(file, await bundle('node'));
      const want = await (await import(pathToFileURL(file).href)).run();
      delete want.globals;
      delete got.globals;
      check('the same numbers as the Node bundle', JSON.stringify(got) === JSON.stringify(want), `${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
      check('the samples land on the ring (sliced W1 < 0.2)', got.sw < 0.2, String(got.sw));
      check('the npz round trip is exact', got.npz === '2,0,0,0,3,0,0,0,4', got.npz);
      console.log(`browser bundle: ${browserCode.length} bytes, backend ${got.backend}, sliced W1 ${got.sw.toFixed(4)} after ${got.nfe} NFE`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const failed = checks.filter((ok) => !ok).length;
console.log(`bundle: ${checks.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
