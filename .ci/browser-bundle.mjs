// The five platform-neutral packages (@phys/tensor, kernels, fields, samplers, metrics) bundled
// from their main entries (sources) by esbuild for the browser, then run in a bare `vm` context:
// no process, require, Buffer or module, only what a browser page also has (WebAssembly, the
// ECMAScript built-ins, TextEncoder/TextDecoder, console). The program samples a 2-D ring mixture
// with Heun on the empirical denoiser (the default backend: WebAssembly SIMD where available),
// draws Philox normals, round-trips FID statistics through .npz bytes (deflate) and computes a
// sliced Wasserstein distance. The same program bundled for Node must print the same numbers.
// Then the browser entries of @phys/onnx and @phys/latents/onnx, resolved as a bundler resolves
// the published packages (the `browser` condition, from their built dist/: `npm run build` first),
// must bundle with no Node built-in and no onnxruntime-node in the graph (onnxruntime-web in its
// place). With --sizes, it prints each package's browser bundle, minified and gzipped
// (docs/browser.md). Exit code 0 and the line `bundle: N passed, 0 failed` when all holds.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { gzipSync } from 'node:zlib';
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

// The browser entries of the ONNX packages, resolved through package.json "exports"/"imports".
const NODE_ONLY = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'onnxruntime-node']);

/** Bundles `contents` for the browser as a bundler would from the published packages; returns the output and its inputs. */
async function bundleBrowserEsm(contents, minify = false) {
  const r = await build({
    stdin: { contents, resolveDir: root, sourcefile: 'browser-onnx-entry.js', loader: 'js' },
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify,
    metafile: true,
    logLevel: 'silent',
    // No tsconfig.json lookup: the packages' dev "paths" (@phys/* -> src) are not what a user's bundler sees.
    tsconfigRaw: {},
  });
  return { code: r.outputFiles[0].text, inputs: Object.keys(r.metafile.inputs) };
}

const onnxProgram = `
import { loadDenoiser, loadClassifier, openModel } from '@phys/onnx';
import { loadLatentDenoiser, OnnxLatentPrior, loadLatentEncoder } from '@phys/latents/onnx';
export { loadDenoiser, loadClassifier, openModel, loadLatentDenoiser, OnnxLatentPrior, loadLatentEncoder };
`;
try {
  const { code, inputs } = await bundleBrowserEsm(onnxProgram);
  check('the browser entries of @phys/onnx and @phys/latents/onnx bundle', true);
  const nodeOnly = inputs.filter((f) => NODE_ONLY.has(f) || /node_modules\/onnxruntime-node\//.test(f) || /packages\/onnx\/(src|dist)\/(index|model-file|gemm|platform\/node)\./.test(f));
  check('no Node built-in, onnxruntime-node or Node entry in their graph', nodeOnly.length === 0, nodeOnly.join(', '));
  check('onnxruntime-web in their graph', inputs.some((f) => /node_modules\/onnxruntime-web\//.test(f)), inputs.filter((f) => /onnxruntime/.test(f)).join(', '));
  check('the @phys/onnx browser entry and its web platform in their graph', inputs.some((f) => /packages\/onnx\/dist\/browser\.js$/.test(f)) && inputs.some((f) => /packages\/onnx\/dist\/platform\/browser\.js$/.test(f)));
  console.log(`browser onnx bundle: ${code.length} bytes, ${inputs.length} inputs`);
} catch (e) {
  check('the browser entries of @phys/onnx and @phys/latents/onnx bundle', false, (e.errors ?? []).map((m) => `${m.text} (${m.location?.file ?? '?'})`).join('; ') || e.message);
}

if (process.argv.includes('--sizes')) {
  // Each package's browser bundle on its own (everything it imports included), minified and gzipped.
  const entries = [...CORE.map((p) => [`@phys/${p}`, `export * from '@phys/${p}';`]), ['@phys/latents', "export * from '@phys/latents';"], ['@phys/latents/onnx', "export * from '@phys/latents/onnx';"], ['@phys/onnx', "export * from '@phys/onnx';"]];
  console.log('| entry | minified | gzipped |\n| --- | ---: | ---: |');
  for (const [name, contents] of entries) {
    const { code } = await bundleBrowserEsm(contents, true);
    const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(`| \`${name}\` | ${kib(code.length)} | ${kib(gzipSync(code, { level: 9 }).length)} |`);
  }
}

const failed = checks.filter((ok) => !ok).length;
console.log(`bundle: ${checks.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
