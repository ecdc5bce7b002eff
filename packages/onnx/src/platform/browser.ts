// The browser host of @phys/onnx: onnxruntime-web (the WebAssembly execution provider by default;
// WebGPU when the caller lists it in `sessionOptions.executionProviders`), models fetched from a
// URL, navigator.hardwareConcurrency. Chosen by the `browser` condition of "#onnx-platform"; it
// references no Node built-in.
import * as ort from 'onnxruntime-web';
import { ValueError } from '@phys/tensor';
import { readModelHeader } from '../protobuf.js';
import type { OnnxPlatform } from './types.js';

interface WebHost {
  fetch?: (url: string | URL) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
  navigator?: { hardwareConcurrency?: number };
  crossOriginIsolated?: boolean;
  setTimeout?: (fn: () => void, ms: number) => unknown;
}
const host = globalThis as WebHost;

export const platform: OnnxPlatform = {
  name: 'browser',
  ort,
  writesPreallocatedOutputs: false,
  // onnxruntime-web runs threads only where SharedArrayBuffer is available (a cross-origin isolated page).
  cpuCount: () => (host.crossOriginIsolated === true ? (host.navigator?.hardwareConcurrency ?? 1) : 1),
  async resolveModel(source) {
    if (!host.fetch) throw new ValueError('model', String(source), 'the bytes of an ONNX model (this context has no fetch() to load a URL with)');
    let response;
    try {
      response = await host.fetch(source);
    } catch (e) {
      throw new ValueError('model', String(source), `a URL that can be fetched (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!response.ok) throw new ValueError('model', String(source), `a URL that can be fetched (HTTP ${response.status})`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { model: bytes, header: readModelHeader(bytes, String(source)), modelBytes: bytes.byteLength };
  },
  yieldTurn() {
    // A timer task, queued behind input and other tasks (scheduler.yield() would continue ahead of them).
    return new Promise((resolve) => {
      if (host.setTimeout) host.setTimeout(resolve, 0);
      else resolve();
    });
  },
  sessionDefaults(threads) {
    // onnxruntime-web takes its thread count once, from env, before its first session.
    ort.env.wasm.numThreads = threads;
    return { executionProviders: ['wasm'] };
  },
};
