// Finds and loads the native addon (prebuildify layout: prebuilds/<platform>-<arch>/<name>.node)
// and picks a CUDA device, turning every failure into a BackendUnavailableError.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendUnavailableError } from './errors.js';

/** One CUDA device as the driver describes it. */
export interface CudaDeviceInfo {
  readonly ordinal: number;
  readonly name: string;
  /** Compute capability `major.minor`. */
  readonly major: number;
  readonly minor: number;
  /** Bytes of device memory. */
  readonly totalMemory: number;
  readonly multiProcessors: number;
}

/** What the addon's `probe()` reports: the runtime it carries and what the driver shows. */
export interface CudaProbe {
  /** CUDA runtime version linked into the addon (e.g. 13000). */
  readonly runtimeVersion: number;
  /** Whether libcuda.so.1 could be loaded. */
  readonly driver: boolean;
  readonly driverVersion?: number;
  /** Why CUDA is unusable, when it is. */
  readonly error?: string;
  readonly errorCode?: number;
  readonly devices?: readonly CudaDeviceInfo[];
}

/** The functions of the native addon (native/addon.cc); device addresses are plain numbers. */
export interface CudaAddon {
  probe(): CudaProbe;
  init(device: number): void;
  alloc(bytes: number): number;
  free(addr: number): void;
  upload(addr: number, src: Float32Array | Float64Array): void;
  download(addr: number, dst: Float32Array | Float64Array): void;
  copy(dst: number, src: number, bytes: number): void;
  /** Sets `bytes` bytes at `addr` to zero (asynchronous). */
  zero(addr: number, bytes: number): void;
  sync(): void;
  lincomb(out: number, outF64: number, rows: number, rowSize: number, mode: number, addrs: number[], f64s: number[], perRow: number[], coefs: Float64Array): void;
  mul(out: number, outF64: number, x: number, xF64: number, y: number, yF64: number, n: number): void;
  cast(out: number, outF64: number, src: number, srcF64: number, n: number): void;
  /** Row sums (y = 0) or row dots into `out` (a device address) or, when `out` is 0, returned. */
  rowReduce(x: number, xF64: number, y: number, yF64: number, rows: number, rowSize: number, out: number): Float64Array | undefined;
  firstNonFinite(x: number, xF64: number, n: number): number;
  philox(out: number, outF64: number, rows: number, rowSize: number, key0: number, key1: number, call: number, sampleOffset: number, stream: number, normal: number): void;
  softmax(logits: number, rows: number, cols: number): Float64Array;
  gemm(a: number, aF64: number, sAi: number, sAp: number, b: number, bF64: number, sBp: number, sBj: number, m: number, n: number, k: number,
    c: number, cF64: number, ldc: number, exact: number, epilogue: number, nx: number, ny: number, cancel: number, useCublas: number): void;
  /** Loads cuBLAS from the first of `candidates` that works (once per process): its name, or why none did. */
  cublas(candidates: string[]): { path?: string; error?: string };
}

/** Oldest compute capability with code in the addon (sm_80 SASS; compute_90 PTX for newer GPUs). */
export const MIN_COMPUTE_CAPABILITY = { major: 8, minor: 0 } as const;

/** The addon file the package ships or builds: `prebuilds/<platform>-<arch>/backend-cuda.napi.node`. */
export function defaultAddonPath(): string {
  // src/loader.ts (tests) and dist/loader.js (published) both sit one level below the package root.
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  return path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'backend-cuda.napi.node');
}

/**
 * Loads the addon at `file`.
 * @throws BackendUnavailableError `addon-not-built` when the file is missing, `addon-load-failed`
 *   when the process cannot load it.
 */
export function loadAddon(file = defaultAddonPath()): CudaAddon {
  if (!existsSync(file)) {
    throw new BackendUnavailableError('cuda', 'addon-not-built', `no native addon at ${file} (it is built by \`npm run build\` where nvcc is installed, and shipped for linux-x64)`);
  }
  try {
    return createRequire(import.meta.url)(file) as CudaAddon;
  } catch (e) {
    throw new BackendUnavailableError('cuda', 'addon-load-failed', `${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The device `ordinal` from a probe, checked for a driver, its presence and its compute capability.
 * @throws BackendUnavailableError `no-driver`, `no-device` or `compute-capability`
 */
export function selectDevice(probe: CudaProbe, ordinal = 0): CudaDeviceInfo {
  if (!probe.driver) throw new BackendUnavailableError('cuda', 'no-driver', probe.error ?? 'libcuda.so.1 could not be loaded');
  // cudaErrorInsufficientDriver (35): a driver older than the runtime the addon carries
  if (probe.errorCode === 35) throw new BackendUnavailableError('cuda', 'no-driver', `driver ${probe.driverVersion ?? '?'} is older than CUDA runtime ${probe.runtimeVersion}: ${probe.error ?? ''}`);
  const devices = probe.devices ?? [];
  if (devices.length === 0) throw new BackendUnavailableError('cuda', 'no-device', probe.error ?? 'the driver reports no CUDA device');
  const d = devices.find((v) => v.ordinal === ordinal);
  if (!d) throw new BackendUnavailableError('cuda', 'no-device', `device ${ordinal} requested, ${devices.length} present`);
  const { major, minor } = MIN_COMPUTE_CAPABILITY;
  if (d.major < major || (d.major === major && d.minor < minor)) {
    throw new BackendUnavailableError('cuda', 'compute-capability', `${d.name} has compute capability ${d.major}.${d.minor}; the addon needs >= ${major}.${minor}`);
  }
  return d;
}
