// A stand-in for the native addon that keeps "device" memory in host ArrayBuffers and runs each
// kernel as a plain loop with the reference's arithmetic. It lets the JavaScript wrapper
// (src/backend.ts: operand packing, strides, dtypes, host mirrors, scopes, disposal) run the
// Backend reference suite on a machine without a GPU; the kernels themselves are checked by
// host-math.test.ts and, on a GPU, by reference.test.ts.
import { RowStream } from '../../tensor/src/philox-stream.js';
import type { CudaAddon, CudaProbe } from '../src/loader.js';

type Arr = Float32Array | Float64Array;

export class FakeAddon implements CudaAddon {
  private readonly mem = new Map<number, ArrayBuffer>();
  private next = 1 << 20;
  readonly log: string[] = [];
  /** What cublas() reports: a library name to "load", or undefined for none. */
  blasPath: string | undefined;

  /** Number of live allocations. */
  get live(): number {
    return this.mem.size;
  }

  probe(): CudaProbe {
    return { runtimeVersion: 13000, driver: true, driverVersion: 13000, devices: [{ ordinal: 0, name: 'Fake GPU', major: 9, minor: 0, totalMemory: 2 ** 34, multiProcessors: 1 }] };
  }
  init(): void {
    this.log.push('init');
  }
  cublas(candidates: string[]): { path?: string; error?: string } {
    this.log.push(`cublas ${candidates.join(',')}`);
    return this.blasPath ? { path: this.blasPath } : { error: 'no cuBLAS in the simulation' };
  }
  sync(): void {
    this.log.push('sync');
  }

  alloc(bytes: number): number {
    const a = this.next;
    const size = Math.max(bytes, 16);
    this.next += Math.ceil(size / 256) * 256 + 256;
    this.mem.set(a, new ArrayBuffer(size));
    // fresh device memory is not zeroed: fill with NaN bytes so reads of unset memory show
    new Uint8Array(this.mem.get(a)!).fill(0xff);
    return a;
  }
  free(addr: number): void {
    if (!this.mem.delete(addr)) throw new Error(`free of unknown or freed address ${addr}`);
  }

  private view(addr: number, n: number, f64: number): Arr {
    for (const [base, buf] of this.mem) {
      if (addr >= base && addr < base + buf.byteLength) {
        const off = addr - base;
        if (off + n * (f64 ? 8 : 4) > buf.byteLength) throw new Error(`access past the end of allocation ${base}`);
        return f64 ? new Float64Array(buf, off, n) : new Float32Array(buf, off, n);
      }
    }
    throw new Error(`access to unallocated address ${addr}`);
  }
  private bytes(addr: number, n: number): Uint8Array {
    const v = this.view(addr, Math.ceil(n / 4), 0);
    return new Uint8Array(v.buffer, v.byteOffset, n);
  }

  upload(addr: number, src: Arr): void {
    this.log.push('upload');
    this.view(addr, src.length, src instanceof Float64Array ? 1 : 0).set(src);
  }
  download(addr: number, dst: Arr): void {
    this.log.push('download');
    dst.set(this.view(addr, dst.length, dst instanceof Float64Array ? 1 : 0));
  }
  copy(dst: number, src: number, bytes: number): void {
    this.bytes(dst, bytes).set(this.bytes(src, bytes));
  }
  zero(addr: number, bytes: number): void {
    this.bytes(addr, bytes).fill(0);
  }

  lincomb(out: number, outF64: number, rows: number, rowSize: number, mode: number, addrs: number[], f64s: number[], perRow: number[], coefs: Float64Array): void {
    this.log.push('lincomb');
    const n = rows * rowSize;
    const xs = addrs.map((a, k) => Array.from(this.view(a, n, f64s[k]!)));
    const o = this.view(out, n, outF64);
    const K = addrs.length;
    for (let i = 0; i < n; i++) {
      const r = Math.floor(i / rowSize);
      const c = (k: number): number => coefs[k * rows + (perRow[k] ? r : 0)]!;
      if (mode === 0) o[i] = c(0) * xs[0]![i]!;
      else if (mode === 1) o[i] = K === 3 ? c(0) * xs[0]![i]! + c(1) * xs[1]![i]! + c(2) * xs[2]![i]! : c(0) * xs[0]![i]! + c(1) * xs[1]![i]!;
      else {
        let s = 0;
        for (let k = 0; k < K; k++) s += c(k) * xs[k]![i]!;
        o[i] = s;
      }
    }
  }
  mul(out: number, outF64: number, x: number, xF64: number, y: number, yF64: number, n: number): void {
    const [a, b] = [Array.from(this.view(x, n, xF64)), Array.from(this.view(y, n, yF64))];
    const o = this.view(out, n, outF64);
    for (let i = 0; i < n; i++) o[i] = a[i]! * b[i]!;
  }
  cast(out: number, outF64: number, src: number, srcF64: number, n: number): void {
    this.view(out, n, outF64).set(this.view(src, n, srcF64));
  }
  rowReduce(x: number, xF64: number, y: number, yF64: number, rows: number, rowSize: number, out: number): Float64Array | undefined {
    const a = this.view(x, rows * rowSize, xF64);
    const b = y ? this.view(y, rows * rowSize, yF64) : undefined;
    const r = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = i * rowSize; j < (i + 1) * rowSize; j++) s += b ? a[j]! * b[j]! : a[j]!;
      r[i] = s;
    }
    if (!out) return r;
    this.view(out, rows, 1).set(r);
    return undefined;
  }
  firstNonFinite(x: number, xF64: number, n: number): number {
    return this.view(x, n, xF64).findIndex((v) => !Number.isFinite(v));
  }
  philox(out: number, outF64: number, rows: number, rowSize: number, key0: number, key1: number, call: number, sampleOffset: number, stream: number, normal: number): void {
    const o = this.view(out, rows * rowSize, outF64);
    for (let r = 0; r < rows; r++) {
      const s = new RowStream({ key0, key1, call, sampleOffset, stream }, r);
      for (let j = 0; j < rowSize; j++) {
        o[r * rowSize + j] = normal ? s.nextNormal() : outF64 ? s.nextUniform() : ((s.nextWord() >>> 8) + 0.5) / 16777216;
      }
    }
  }
  softmax(logits: number, rows: number, cols: number): Float64Array {
    const d = this.view(logits, rows * cols, 1);
    const stats = new Float64Array(2 * rows);
    for (let r = 0; r < rows; r++) {
      let m = -Infinity;
      for (let j = 0; j < cols; j++) if (d[r * cols + j]! > m) m = d[r * cols + j]!;
      let s = 0;
      for (let j = 0; j < cols; j++) s += Math.exp(d[r * cols + j]! - m);
      stats[2 * r] = m;
      stats[2 * r + 1] = s;
    }
    let good = 0;
    while (good < rows && stats[2 * good]! > -Infinity) good++;
    for (let r = 0; r < good; r++) {
      const inv = 1 / stats[2 * r + 1]!;
      for (let j = 0; j < cols; j++) d[r * cols + j] = Math.exp(d[r * cols + j]! - stats[2 * r]!) * inv;
    }
    return stats;
  }
  gemm(a: number, aF64: number, sAi: number, sAp: number, b: number, bF64: number, sBp: number, sBj: number, m: number, n: number, k: number,
    c: number, cF64: number, ldc: number, exact: number, epilogue: number, nx: number, ny: number, cancel: number, useCublas: number): void {
    this.log.push(`gemm exact=${exact} cublas=${useCublas}`);
    const A = this.view(a, (m - 1) * sAi + (k - 1) * sAp + 1, aF64);
    const B = this.view(b, (k - 1) * sBp + (n - 1) * sBj + 1, bF64);
    const C = this.view(c, (m - 1) * ldc + n, epilogue ? 1 : cF64);
    const NX = epilogue ? this.view(nx, m, 1) : undefined;
    const NY = epilogue ? this.view(ny, n, 1) : undefined;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[i * sAi + p * sAp]! * B[p * sBp + j * sBj]!;
        if (!epilogue) {
          C[i * ldc + j] = s;
          continue;
        }
        const t = NX![i]! + NY![j]!;
        let v = t - 2 * s;
        if (!(v > cancel * t)) {
          v = 0;
          for (let p = 0; p < k; p++) v += (A[i * sAi + p * sAp]! - B[p * sBp + j * sBj]!) ** 2;
        }
        C[i * ldc + j] = v;
      }
    }
  }
}
