#!/usr/bin/env node
// Builds the native addon into prebuilds/linux-x64/ (the prebuildify layout the loader reads) with
// nvcc (kernels.cu) and g++ (addon.cc against Node's headers and node-addon-api), linking the CUDA
// runtime statically so the addon loads without a driver. Without nvcc it prints one line and
// exits 0: the rest of the monorepo builds, and createCudaBackend() reports "addon not built".
//
// Environment: NVCC (the compiler; when set, the only one tried), CUDA_HOME, NODE_INCLUDE (directory with node_api.h),
// PHYS_CUDA_ARCHS (default "80,90": SASS for sm_80 and sm_90 plus PTX for compute_90),
// PHYS_CUDA_FORCE=1 rebuilds even when the binary is newer than the sources.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const native = path.join(pkg, 'native');
const outDir = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
const out = path.join(outDir, 'backend-cuda.napi.node');
const say = (msg) => console.log(`@phys/backend-cuda: ${msg}`);

function findNvcc() {
  // NVCC, when set, is the only candidate (NVCC=none builds nothing)
  if (process.env.NVCC !== undefined) return existsSync(process.env.NVCC) ? process.env.NVCC : undefined;
  const candidates = [process.env.CUDA_HOME && path.join(process.env.CUDA_HOME, 'bin', 'nvcc')];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'nvcc'));
  candidates.push('/usr/local/cuda/bin/nvcc');
  return candidates.find((c) => c && existsSync(c));
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  say(`no native build for ${process.platform}-${process.arch} (linux-x64 only); skipped`);
  process.exit(0);
}
const nvcc = findNvcc();
if (!nvcc) {
  say(`nvcc not found${process.env.NVCC === undefined ? '' : ` at NVCC=${process.env.NVCC}`} (set NVCC or CUDA_HOME); native addon skipped, createCudaBackend() will report "addon not built"`);
  process.exit(0);
}

const sources = [...readdirSync(native).map((f) => path.join(native, f)), fileURLToPath(import.meta.url)];
if (!process.env.PHYS_CUDA_FORCE && existsSync(out) && sources.every((s) => statSync(s).mtimeMs <= statSync(out).mtimeMs)) {
  say(`${path.relative(pkg, out)} is up to date`);
  process.exit(0);
}

// The toolkit beside nvcc (nvcc may be a wrapper script elsewhere on PATH), else the usual places.
const roots = [process.env.CUDA_HOME, path.dirname(path.dirname(realpathSync(nvcc))), '/usr/local/cuda',
  ...readdirSync('/usr/local').filter((d) => d.startsWith('cuda-')).sort().reverse().map((d) => path.join('/usr/local', d))].filter(Boolean);
const inRoots = (subdirs, file) => roots.flatMap((r) => subdirs.map((s) => path.join(r, s))).find((d) => existsSync(path.join(d, file)));
const cudaInclude = inRoots(['include', 'targets/x86_64-linux/include'], 'cuda_runtime_api.h');
const cudaLib = inRoots(['lib64', 'targets/x86_64-linux/lib'], 'libcudart_static.a');
const nodeInclude = [process.env.NODE_INCLUDE, path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find(
  (d) => d && existsSync(path.join(d, 'node_api.h')),
);
const addonApi = createRequire(path.join(pkg, 'package.json'))('node-addon-api').include_dir;
const missing = [!cudaInclude && 'cuda_runtime_api.h', !cudaLib && 'libcudart_static.a', !nodeInclude && "Node's node_api.h (set NODE_INCLUDE)"].filter(Boolean);
if (missing.length > 0) {
  console.error(`@phys/backend-cuda: nvcc found at ${nvcc} but ${missing.join(', ')} not found`);
  process.exit(1);
}

const archs = (process.env.PHYS_CUDA_ARCHS ?? '80,90').split(',').map((a) => a.trim());
const gencode = archs.flatMap((a) => ['-gencode', `arch=compute_${a},code=sm_${a}`]);
gencode.push('-gencode', `arch=compute_${archs.at(-1)},code=compute_${archs.at(-1)}`);
const tmp = mkdtempSync(path.join(tmpdir(), 'phys-cuda-build-'));
const run = (cmd, args) => {
  say(`${path.basename(cmd)} ${args.filter((a) => !a.startsWith('-I')).join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit' });
};
try {
  const t0 = performance.now();
  const ko = path.join(tmp, 'kernels.o');
  const ao = path.join(tmp, 'addon.o');
  run(nvcc, ['-std=c++17', '-O3', '-Xcompiler', '-fPIC', ...gencode, '-c', path.join(native, 'kernels.cu'), '-o', ko]);
  run('g++', ['-std=c++17', '-O2', '-fPIC', '-fexceptions', '-DNAPI_CPP_EXCEPTIONS', '-DNAPI_VERSION=8', `-I${nodeInclude}`, `-I${addonApi}`,
    `-I${cudaInclude}`, '-c', path.join(native, 'addon.cc'), '-o', ao]);
  mkdirSync(outDir, { recursive: true });
  const tmpOut = path.join(tmp, 'backend-cuda.napi.node');
  run('g++', ['-shared', '-o', tmpOut, ao, ko, `-L${cudaLib}`, '-lcudart_static', '-ldl', '-lpthread', '-lrt', '-static-libstdc++', '-static-libgcc']);
  copyFileSync(tmpOut, out);
  say(`built ${path.relative(pkg, out)} for sm_${archs.join(', sm_')} + compute_${archs.at(-1)} PTX in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
