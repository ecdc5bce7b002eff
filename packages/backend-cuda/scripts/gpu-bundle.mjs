#!/usr/bin/env node
// Prepares packages/backend-cuda/gpu-bundle/ (ignored by git) for scripts/gpu-check.sh on a GPU
// machine that has no node_modules: the TypeScript of @phys/tensor, kernels, samplers and
// backend-cuda with the GPU tests compiled to plain ESM JavaScript, small package shims, ndarray,
// node-addon-api and Node-API headers (to rebuild the addon there), the prebuilt addon, the bench
// and the jest-compatible runner. Run after `npm run build` (the addon must be built): ~2 MB.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const repo = path.dirname(path.dirname(pkg));
const out = path.join(pkg, 'gpu-bundle');
const pkgs = path.join(out, 'pkgs');
const addon = path.join(pkg, 'prebuilds', 'linux-x64', 'backend-cuda.napi.node');
if (!existsSync(addon)) {
  console.error(`@phys/backend-cuda: ${path.relative(repo, addon)} is missing; run npm run build where nvcc exists first`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const names = ['tensor', 'kernels', 'samplers', 'backend-cuda'];
writeFileSync(path.join(out, 'tsconfig.json'), JSON.stringify({
  extends: '../../../tsconfig.base.json',
  compilerOptions: {
    rootDir: '../..', outDir: 'pkgs', noEmit: false, noEmitOnError: true, declaration: false, declarationMap: false, sourceMap: false,
    types: ['node', 'jest'], paths: { '@phys/*': ['../../*/src/index.ts'] },
  },
  include: [...names.map((n) => `../../${n}/src`), '../../tensor/test/reference-suite.ts', '../test/reference.test.ts', '../test/wrapper.test.ts', '../test/fake-addon.ts'],
}, null, 2));
execFileSync(process.execPath, [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(out, 'tsconfig.json')], { stdio: 'inherit' });

const nm = path.join(pkgs, 'node_modules');
// Each compiled package gets the subpath imports of its package.json ("#tensor-platform": the
// `node` target, with dist/ read as the compiled src/ here), so Node resolves them as it does in the repo.
for (const n of names) {
  const { imports } = JSON.parse(readFileSync(path.join(repo, 'packages', n, 'package.json'), 'utf8'));
  const map = Object.fromEntries(Object.entries(imports ?? {}).map(([k, v]) => [k, (typeof v === 'string' ? v : v.node ?? v.default).replace('./dist/', './src/')]));
  writeFileSync(path.join(pkgs, n, 'package.json'), JSON.stringify({ private: true, type: 'module', imports: map }));
}
for (const n of names) {
  const dir = path.join(nm, '@phys', n);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `@phys/${n}`, type: 'module', exports: './index.js' }));
  writeFileSync(path.join(dir, 'index.js'), `export * from '../../../${n}/src/index.js';\n`);
}
const req = createRequire(path.join(repo, 'packages', 'tensor', 'package.json'));
for (const dep of ['ndarray', 'iota-array', 'is-buffer']) {
  const dir = path.dirname(createRequire(req.resolve('ndarray')).resolve(`${dep}/package.json`));
  cpSync(dir, path.join(nm, dep), { recursive: true });
}
cpSync(path.dirname(createRequire(path.join(pkg, 'package.json')).resolve('node-addon-api/package.json')), path.join(nm, 'node-addon-api'), { recursive: true });

const cuda = path.join(pkgs, 'backend-cuda');
for (const p of ['native', 'bench', 'scripts/build-addon.mjs', 'scripts/gpu-runner.mjs', 'prebuilds']) cpSync(path.join(pkg, p), path.join(cuda, p), { recursive: true });
// (pkgs/backend-cuda/package.json above has no name or exports: '@phys/backend-cuda' in the bench
// must resolve to the shim, not to dist/)
// the Node-API headers (all the addon includes from Node), for a rebuild where Node has no headers
const nodeInclude = [process.env.NODE_INCLUDE, path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) => d && existsSync(path.join(d, 'node_api.h')));
mkdirSync(path.join(out, 'node-include'));
for (const h of ['node_api.h', 'node_api_types.h', 'js_native_api.h', 'js_native_api_types.h']) cpSync(path.join(nodeInclude, h), path.join(out, 'node-include', h));
rmSync(path.join(out, 'tsconfig.json'));
console.log(`@phys/backend-cuda: GPU bundle ready in ${path.relative(repo, out)} (carry it with the working tree to run scripts/gpu-check.sh)`);
