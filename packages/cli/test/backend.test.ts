// The CLI's backend choice: PHYS_BACKEND mapped to setBackend (libraries read no environment), a
// clean fallback when the onnxruntime engine does not load, and `phys --help` without onnxruntime.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CpuBackend, WasmBackend, getBackend, setBackend } from '@phys/tensor';
import { selectBackend } from '../src/backend.js';
import { UsageError } from '../src/errors.js';

const before = getBackend();
afterAll(() => {
  setBackend(before);
});

describe('selectBackend (PHYS_BACKEND)', () => {
  it('maps cpu and wasm to the reference and the WebAssembly backend', async () => {
    expect((await selectBackend('cpu')).backend).toBeInstanceOf(CpuBackend);
    expect(getBackend()).toBeInstanceOf(CpuBackend);
    const { backend, fallback } = await selectBackend('wasm');
    expect(backend).toBeInstanceOf(WasmBackend);
    expect(backend.name).not.toMatch(/ort/);
    expect(fallback).toBeUndefined();
    expect(getBackend()).toBe(backend);
  });

  it('defaults to the fast backend with the onnxruntime engine', async () => {
    const { backend, fallback } = await selectBackend(undefined);
    expect(fallback).toBeUndefined();
    expect(backend.name).toMatch(/^wasm.*\+ort/);
  });

  it('falls back to the WebAssembly backend when the engine does not load, saying why', async () => {
    const missing = (): Promise<never> => Promise.reject(new Error("Cannot find package 'onnxruntime-node'"));
    const { backend, fallback } = await selectBackend('', missing);
    expect(backend).toBeInstanceOf(WasmBackend);
    expect(backend.name).not.toMatch(/ort/);
    expect(fallback).toMatch(/onnxruntime-node/);
    expect(getBackend()).toBe(backend);
  });

  it('rejects other values with a usage error', async () => {
    await expect(selectBackend('gpu')).rejects.toThrow(UsageError);
    await expect(selectBackend('gpu')).rejects.toThrow(/PHYS_BACKEND must be one of fast, wasm, cpu, got 'gpu'/);
  });
});

describe('phys without onnxruntime-node', () => {
  // A resolve hook that makes `onnxruntime-node` unloadable in the child process.
  const hook = 'export async function resolve(s, c, next) { if (s === "onnxruntime-node") throw new Error("onnxruntime-node blocked"); return next(s, c); }';
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  const bin = fileURLToPath(new URL('../bin/phys.js', import.meta.url));
  const phys = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, bin, ...args], { encoding: 'utf8', timeout: 60000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(() => {
    const built = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
    if (!existsSync(built)) throw new Error(`build @phys/cli first: ${built} is missing`);
  });

  it('prints usage and handles unknown commands without loading it', () => {
    const help = phys('--help');
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: phys <command>/);
    expect(phys('frobnicate').code).toBe(2);
  });

  it('fails a command that needs it with one line (the hook really blocks it)', () => {
    const r = phys('sample', '--steps', '2', '--count', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^phys sample: error: .*onnxruntime-node blocked/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
