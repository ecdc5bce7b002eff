import { platform as browser } from '../src/platform/browser.js';
import { platform as node } from '../src/platform/node.js';

// The two hosts of the WebAssembly backend (src/platform/): the Node one reads the kernel modules
// that `npm run build` compiles from assembly/*.ts; the browser one fetches the same files next to
// the package's dist folder and says why worker threads cannot run where they cannot.
interface Globals {
  fetch: unknown;
  Worker?: unknown;
  crossOriginIsolated?: boolean;
}
const g = globalThis as unknown as Globals;

interface WasmStatic {
  Module: (new (bytes: Uint8Array) => object) & { imports(m: object): { module: string; name: string; kind: string }[] };
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => object;
  Instance: new (m: object, imports: object) => object;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmStatic }).WebAssembly;

describe('platform modules', () => {
  it('Node: both kernel modules import env.memory, the shared one only a shared memory', () => {
    for (const shared of [false, true]) {
      const module = new wasm.Module(node.readKernels(shared)!);
      expect(wasm.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
      const plain = new wasm.Memory({ initial: 1 });
      const sharedMemory = new wasm.Memory({ initial: 1, maximum: 65536, shared: true });
      const link = (memory: object): object => new wasm.Instance(module, { env: { memory } });
      if (shared) {
        expect(link(sharedMemory)).toBeDefined();
        expect(() => link(plain)).toThrow();
      } else {
        expect(link(plain)).toBeDefined();
      }
    }
    expect(node.cpuCount()).toBeGreaterThanOrEqual(1);
    expect(node.threadsUnavailable()).toBeUndefined();
  });

  it('browser: fetches the kernel files of dist and explains missing threads', async () => {
    const saved = { fetch: g.fetch, Worker: g.Worker, crossOriginIsolated: g.crossOriginIsolated };
    const asked: string[] = [];
    try {
      g.fetch = (url: URL) => {
        asked.push(url.href);
        const bytes = node.readKernels(url.href.endsWith('-shared.wasm'))!;
        return Promise.resolve({ ok: true, status: 200, arrayBuffer: () => Promise.resolve(bytes.slice().buffer) });
      };
      expect(await browser.fetchKernels(false)).toEqual(new Uint8Array(node.readKernels(false)!));
      expect(await browser.fetchKernels(true)).toEqual(new Uint8Array(node.readKernels(true)!));
      // next to the platform folder: dist/kernels*.wasm in the package (src/ when run from the sources)
      expect(asked).toEqual(['../src/kernels.wasm', '../src/kernels-shared.wasm'].map((f) => new URL(f, import.meta.url).href));
      expect(browser.readKernels(false)).toBeUndefined();
      delete g.Worker;
      expect(browser.threadsUnavailable()).toMatch(/no Web Workers/);
      g.Worker = Object; // any constructor
      g.crossOriginIsolated = false;
      expect(browser.threadsUnavailable()).toMatch(/not cross-origin isolated/);
      g.crossOriginIsolated = true;
      expect(browser.threadsUnavailable()).toBeUndefined();
    } finally {
      Object.assign(g, saved);
      if (saved.Worker === undefined) delete g.Worker;
      if (saved.crossOriginIsolated === undefined) delete g.crossOriginIsolated;
    }
  });
});
