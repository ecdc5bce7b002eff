// The backend registry (the layering of tfjs: the interface in backend.ts, implementations in
// their own modules, and this module the only one that knows them all). It owns the active backend
// that every phys algorithm gets from `getBackend()`. Nothing here reads the environment: an
// application (the `phys` CLI maps `PHYS_BACKEND`) chooses with `setBackend`.
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu.js';
import { createWasmBackend } from './wasm/backend.js';

/**
 * Makes a backend, or says it cannot: `undefined` (or a throw) where it does not load here (no
 * WebAssembly SIMD, a missing native library). A promise for backends whose start-up is
 * asynchronous (e.g. WebAssembly compilation on a browser's main thread); {@link ready} awaits it.
 */
export type BackendFactory = () => Backend | undefined | Promise<Backend | undefined>;

interface Entry {
  readonly factory: BackendFactory;
  readonly priority: number;
}

/** The result of a factory: a backend, `undefined` when it did not load, or the pending promise. */
type Made = Backend | undefined | Promise<Backend | undefined>;

const isPromise = (m: Made): m is Promise<Backend | undefined> => typeof (m as { then?: unknown } | undefined)?.then === 'function';

/**
 * Registered backends and the active one. The process-wide instance behind {@link getBackend},
 * {@link setBackend}, {@link registerBackend} and {@link ready}; tests make their own.
 *
 * Without {@link BackendRegistry.set}, the active backend is the registered one of highest priority
 * that loads: {@link BackendRegistry.get} (synchronous) takes the best backend whose factory returns
 * at once and starts asynchronous factories on the way; {@link BackendRegistry.ready} awaits those
 * and moves to the best of all (as `tf.ready()` does).
 */
export class BackendRegistry {
  private readonly entries = new Map<string, Entry>();
  /** Factory results, made once per name. */
  private readonly made = new Map<string, Made>();
  private current: Backend | undefined;
  /** Whether `current` was chosen by {@link BackendRegistry.set} (then `ready` keeps it). */
  private chosen = false;

  /**
   * Registers `factory` under `name` with `priority` (higher wins the default choice; the CPU
   * reference has 0). Registering a name again replaces it.
   */
  register(name: string, factory: BackendFactory, priority = 0): void {
    this.entries.set(name, { factory, priority });
    this.made.delete(name);
  }

  /** The registered names, best priority first. */
  names(): string[] {
    return [...this.entries].sort((a, b) => b[1].priority - a[1].priority).map(([name]) => name);
  }

  /** Makes `backend` the active one (kept by {@link BackendRegistry.ready}). */
  set(backend: Backend): void {
    this.current = backend;
    this.chosen = true;
  }

  /**
   * The active backend; without one, the best registered backend that loads synchronously
   * (asynchronous ones are started for a later {@link BackendRegistry.ready}).
   * @throws Error when no registered backend loads.
   */
  get(): Backend {
    if (this.current) return this.current;
    for (const name of this.names()) {
      const m = this.make(name);
      if (m !== undefined && !isPromise(m)) return (this.current = m);
    }
    throw new Error(`getBackend: no registered backend loads (tried ${this.names().join(', ')})`);
  }

  /**
   * Waits for every registered backend's start-up and, unless a backend was chosen with
   * {@link BackendRegistry.set}, makes the best one that loaded active. Resolves to the active one.
   */
  async ready(): Promise<Backend> {
    if (this.chosen && this.current) return this.current;
    for (const name of this.names()) {
      const m = this.make(name);
      const b = isPromise(m) ? await m : m;
      if (b !== undefined) {
        // A set() while awaiting wins over the default choice.
        if (this.chosen && this.current) return this.current;
        return (this.current = b);
      }
    }
    return this.get();
  }

  /** The factory result of `name`, made once; a factory that throws or rejects counts as not loading. */
  private make(name: string): Made {
    if (this.made.has(name)) return this.made.get(name);
    let m: Made;
    try {
      m = this.entries.get(name)!.factory();
    } catch {
      m = undefined;
    }
    if (isPromise(m)) {
      const settled = m.then(
        (b) => {
          this.made.set(name, b);
          return b;
        },
        () => {
          this.made.set(name, undefined);
          return undefined;
        },
      );
      this.made.set(name, settled);
      return settled;
    }
    this.made.set(name, m);
    return m;
  }
}

/**
 * A registry holding phys's own backends: `cpu` (priority 0; the CPU reference always loads: the
 * fallback) and `wasm` (priority 2; the single-threaded WebAssembly SIMD backend, where the engine
 * has WebAssembly SIMD). The process-wide registry is one of these.
 */
export function createDefaultRegistry(): BackendRegistry {
  const r = new BackendRegistry();
  r.register('cpu', () => new CpuBackend(), 0);
  r.register('wasm', () => createWasmBackend(), 2);
  return r;
}

const registry = createDefaultRegistry();

/** Makes `backend` the one {@link getBackend} returns (e.g. `setBackend(new CpuBackend())` for the reference). */
export function setBackend(backend: Backend): void {
  registry.set(backend);
}

/**
 * The active backend: the one last passed to {@link setBackend}; else the fastest registered
 * backend that loads synchronously (the WebAssembly SIMD backend where the engine has WebAssembly
 * SIMD, else the CPU reference backend), chosen on the first call and kept.
 */
export function getBackend(): Backend {
  return registry.get();
}

/**
 * Registers a backend for the default choice of {@link getBackend} and {@link ready} (`priority`:
 * higher wins; cpu has 0, wasm 2). An explicit {@link setBackend} always wins.
 */
export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
  registry.register(name, factory, priority);
}

/**
 * Waits for backends with asynchronous start-up and makes the fastest one that loaded active
 * (unless {@link setBackend} chose one). Call it once before sampling where a backend starts
 * asynchronously; synchronous backends need no call.
 */
export function ready(): Promise<Backend> {
  return registry.ready();
}
