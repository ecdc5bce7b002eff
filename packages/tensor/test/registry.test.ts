import { BackendRegistry, CpuBackend, WasmBackend, createWasmBackend, getBackend, type Backend } from '../src/index.js';
import { createDefaultRegistry } from '../src/registry.js';

// The backend registry: the default choice is the fastest backend that loads (tfjs-style
// priorities), a backend that fails to load is skipped, asynchronous start-up is awaited by
// ready(), and an explicit set() always wins.
const named = (name: string): Backend => Object.assign(new CpuBackend(), { name });

describe('BackendRegistry', () => {
  it('picks the highest-priority backend that loads and keeps it', () => {
    const r = new BackendRegistry();
    let made = 0;
    r.register('cpu', () => named('cpu'), 0);
    r.register('fast', () => (made++, named('fast')), 3);
    r.register('broken', () => {
      throw new Error('no native library');
    }, 5);
    r.register('absent', () => undefined, 4);
    expect(r.names()).toEqual(['broken', 'absent', 'fast', 'cpu']);
    expect(r.get().name).toBe('fast');
    expect(r.get().name).toBe('fast');
    expect(made).toBe(1);
  });

  it('throws naming the backends tried when none loads', () => {
    const r = new BackendRegistry();
    r.register('absent', () => undefined);
    expect(() => r.get()).toThrow(/absent/);
  });

  it('starts asynchronous backends in get() and moves to the best one in ready()', async () => {
    const r = new BackendRegistry();
    let resolve!: (b: Backend) => void;
    r.register('cpu', () => named('cpu'), 0);
    r.register('async', () => new Promise<Backend>((res) => (resolve = res)), 2);
    r.register('rejects', () => Promise.reject(new Error('no WebGPU adapter')), 4);
    expect(r.get().name).toBe('cpu');
    const done = r.ready();
    resolve(named('async'));
    expect((await done).name).toBe('async');
    expect(r.get().name).toBe('async');
  });

  it('keeps a backend chosen with set() over the default choice, before and during ready()', async () => {
    const r = new BackendRegistry();
    let resolve!: (b: Backend) => void;
    r.register('async', () => new Promise<Backend>((res) => (resolve = res)), 2);
    r.register('cpu', () => named('cpu'), 0);
    const chosen = named('chosen');
    const done = r.ready();
    r.set(chosen);
    resolve(named('async'));
    expect(await done).toBe(chosen);
    expect(r.get()).toBe(chosen);
    expect(await r.ready()).toBe(chosen);
  });
});

describe('the default registry', () => {
  it('holds cpu and wasm and picks the WebAssembly backend where SIMD is available', () => {
    const r = createDefaultRegistry();
    expect(r.names()).toEqual(['wasm', 'cpu']);
    expect(createWasmBackend()).toBeInstanceOf(WasmBackend);
    expect(r.get()).toBeInstanceOf(WasmBackend);
  });

  it('is the one behind getBackend(); the test run chose its backend with setBackend (PHYS_BACKEND)', () => {
    expect(getBackend().name).toBe(process.env.PHYS_BACKEND === 'wasm' ? 'wasm' : 'cpu');
  });
});
