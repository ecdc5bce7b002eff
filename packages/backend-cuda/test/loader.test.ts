// The loader's error paths: every way CUDA can be missing ends in a BackendUnavailableError that
// names the reason, never a crash.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhysError } from '@phys/tensor';
import { BackendUnavailableError, createCudaBackend, defaultAddonPath, loadAddon, selectDevice, type CudaProbe } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const device = { ordinal: 0, name: 'Test GPU', major: 9, minor: 0, totalMemory: 2 ** 37, multiProcessors: 132 };

async function reason(p: Promise<unknown>): Promise<BackendUnavailableError> {
  const e: unknown = await p.then(
    () => new Error('resolved'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(BackendUnavailableError);
  expect(e).toBeInstanceOf(PhysError);
  return e as BackendUnavailableError;
}

describe('loading the addon', () => {
  it('rejects with addon-not-built when the binary is missing', async () => {
    const e = await reason(createCudaBackend({ addonPath: path.join(here, 'no-such-addon.node') }));
    expect(e.reason).toBe('addon-not-built');
    expect(e.message).toMatch(/cuda backend unavailable \(addon not built\): no native addon at .*no-such-addon\.node/);
  });

  it('rejects with addon-load-failed for a file the process cannot load', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'phys-cuda-loader-'));
    try {
      const bad = path.join(dir, 'backend-cuda.napi.node');
      writeFileSync(bad, 'not an ELF file');
      const e = await reason(createCudaBackend({ addonPath: bad }));
      expect(e.reason).toBe('addon-load-failed');
      expect(e.detail).toContain(bad);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('looks for prebuilds/<platform>-<arch>/backend-cuda.napi.node in the package', () => {
    expect(path.relative(path.join(here, '..'), defaultAddonPath())).toBe(path.join('prebuilds', `${process.platform}-${process.arch}`, 'backend-cuda.napi.node'));
  });

  it('fails cleanly on this machine, or gives a backend where a CUDA device exists', async () => {
    if (!existsSync(defaultAddonPath())) {
      expect((await reason(createCudaBackend())).reason).toBe('addon-not-built');
      return;
    }
    const probe = loadAddon().probe();
    expect(probe.runtimeVersion).toBeGreaterThanOrEqual(12000);
    if (!probe.driver) {
      // the statically linked runtime loads without libcuda.so.1 and says so
      const e = await reason(createCudaBackend());
      expect(e.reason).toBe('no-driver');
      expect(e.detail).toMatch(/libcuda\.so\.1/);
    } else if ((probe.devices ?? []).length === 0) {
      expect(['no-device', 'no-driver']).toContain((await reason(createCudaBackend())).reason);
    } else {
      const be = await createCudaBackend();
      expect(be.name).toMatch(/^cuda:/);
    }
  });
});

describe('selecting a device', () => {
  const probe = (p: Partial<CudaProbe>): CudaProbe => ({ runtimeVersion: 13000, driver: true, driverVersion: 13000, devices: [device], ...p });
  const why = (p: CudaProbe, ordinal?: number): BackendUnavailableError => {
    try {
      selectDevice(p, ordinal);
    } catch (e) {
      expect(e).toBeInstanceOf(BackendUnavailableError);
      return e as BackendUnavailableError;
    }
    throw new Error('selectDevice accepted the probe');
  };

  it('names the missing driver, an old driver, a missing device, an old GPU', () => {
    expect(why(probe({ driver: false, error: 'libcuda.so.1: cannot open shared object file' }))).toMatchObject({ reason: 'no-driver', detail: expect.stringContaining('libcuda.so.1') });
    expect(why(probe({ driverVersion: 12020, errorCode: 35, error: 'cudaErrorInsufficientDriver', devices: [] }))).toMatchObject({ reason: 'no-driver', detail: expect.stringContaining('12020') });
    expect(why(probe({ devices: [], errorCode: 100, error: 'cudaErrorNoDevice: no CUDA-capable device is detected' }))).toMatchObject({ reason: 'no-device', detail: expect.stringContaining('cudaErrorNoDevice') });
    expect(why(probe({}), 1)).toMatchObject({ reason: 'no-device', detail: 'device 1 requested, 1 present' });
    expect(why(probe({ devices: [{ ...device, name: 'Tesla T4', major: 7, minor: 5 }] }))).toMatchObject({
      reason: 'compute-capability',
      message: expect.stringContaining('Tesla T4 has compute capability 7.5; the addon needs >= 8.0'),
    });
  });

  it('accepts sm_80 and newer', () => {
    expect(selectDevice(probe({}))).toBe(device);
    expect(selectDevice(probe({ devices: [{ ...device, major: 8, minor: 0 }] })).major).toBe(8);
    expect(selectDevice(probe({ devices: [{ ...device, major: 12, minor: 0 }] })).major).toBe(12);
  });
});

describe('packaging', () => {
  it('no other package depends on @phys/backend-cuda (installing @phys/samplers pulls no native code)', () => {
    const packages = path.join(here, '..', '..');
    for (const dir of readdirSync(packages)) {
      const file = path.join(packages, dir, 'package.json');
      if (dir === 'backend-cuda' || !existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { dependencies?: object; peerDependencies?: object; optionalDependencies?: object };
      for (const deps of [pkg.dependencies, pkg.peerDependencies, pkg.optionalDependencies]) expect(Object.keys(deps ?? {})).not.toContain('@phys/backend-cuda');
    }
  });

  it('the build skips the addon with one line and success where nvcc is missing', () => {
    const script = path.join(here, '..', 'scripts', 'build-addon.mjs');
    const out = execFileSync(process.execPath, [script], { env: { ...process.env, NVCC: path.join(here, 'no-nvcc') }, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual([expect.stringMatching(/^@phys\/backend-cuda: nvcc not found at NVCC=.*no-nvcc .*native addon skipped/)]);
  });

  it('has no install scripts', () => {
    const pkg = JSON.parse(readFileSync(path.join(here, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const s of ['preinstall', 'install', 'postinstall']) expect(pkg.scripts[s]).toBeUndefined();
  });
});
