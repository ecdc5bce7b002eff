import type { Backend, Coef, Matrix64, SoftmaxOptions } from './backend.js';
import { checkCoef, checkLincomb, checkMatmul, checkSoftmaxOptions, outFor } from './backend-checks.js';
import { firstNonFinite } from './check.js';
import { ShapeError, ValueError } from './errors.js';
import { expF32 } from './normal-math.js';
import { checkPhiloxCall, fillPhiloxNormal, type PhiloxCall } from './philox-stream.js';
import { Tensor, allocate, assertSameShape, formatShape, type DType } from './tensor.js';

function coefAt(c: Coef, row: number): number {
  return typeof c === 'number' ? c : c[row]!;
}

function as2d(t: Tensor, argument: string): [number, number] {
  if (t.shape.length < 1) throw new ShapeError(argument, '[rows, ...]', formatShape(t.shape));
  return [t.rows, t.rowSize];
}

/**
 * The reference backend: plain TypeScript over float32 or float64 tensors (outputs take the
 * inputs' dtype), float64 accumulation. Every other backend is tested against it.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';

  zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return Tensor.zeros(shape, dtype);
  }

  clone(t: Tensor): Tensor {
    return t.clone();
  }

  lincomb(terms: readonly (readonly [Coef, Tensor])[], out?: Tensor): Tensor {
    const { first, out: o } = checkLincomb(terms, out);
    const rs = first.rowSize;
    const od = o.data;
    const n = terms.length;
    const cs = new Float64Array(n);
    const ds = terms.map(([, t]) => t.data);
    for (let r = 0; r < first.rows; r++) {
      for (let k = 0; k < n; k++) cs[k] = coefAt(terms[k]![0], r);
      const start = r * rs;
      const end = start + rs;
      if (n === 2) {
        const a = cs[0]!, b = cs[1]!, x = ds[0]!, y = ds[1]!;
        for (let j = start; j < end; j++) od[j] = a * x[j]! + b * y[j]!;
      } else if (n === 3) {
        const a = cs[0]!, b = cs[1]!, c = cs[2]!, x = ds[0]!, y = ds[1]!, z = ds[2]!;
        for (let j = start; j < end; j++) od[j] = a * x[j]! + b * y[j]! + c * z[j]!;
      } else {
        for (let j = start; j < end; j++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += cs[k]! * ds[k]![j]!;
          od[j] = s;
        }
      }
    }
    return o;
  }

  axpby(a: Coef, x: Tensor, b: Coef, y: Tensor, out?: Tensor): Tensor {
    return this.lincomb([[a, x], [b, y]], out);
  }

  scaleRows(x: Tensor, s: Coef, out?: Tensor): Tensor {
    checkCoef(s, x.rows, 's');
    const o = outFor(x, out);
    const rs = x.rowSize;
    const [od, xd] = [o.data, x.data];
    for (let r = 0; r < x.rows; r++) {
      const c = coefAt(s, r);
      for (let j = r * rs; j < (r + 1) * rs; j++) od[j] = c * xd[j]!;
    }
    return o;
  }

  mul(x: Tensor, y: Tensor, out?: Tensor): Tensor {
    assertSameShape(x, y, 'x', 'y');
    const o = outFor(x, out);
    const [od, xd, yd] = [o.data, x.data, y.data];
    for (let j = 0; j < xd.length; j++) od[j] = xd[j]! * yd[j]!;
    return o;
  }

  rowSum(x: Tensor): Float64Array {
    const [rows, rs] = as2d(x, 'x');
    const out = new Float64Array(rows);
    const xd = x.data;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = r * rs; j < (r + 1) * rs; j++) s += xd[j]!;
      out[r] = s;
    }
    return out;
  }

  rowDot(x: Tensor, y: Tensor): Float64Array {
    assertSameShape(x, y, 'x', 'y');
    const [rows, rs] = as2d(x, 'x');
    const out = new Float64Array(rows);
    const [xd, yd] = [x.data, y.data];
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = r * rs; j < (r + 1) * rs; j++) s += xd[j]! * yd[j]!;
      out[r] = s;
    }
    return out;
  }

  rowNormSq(x: Tensor): Float64Array {
    return this.rowDot(x, x);
  }

  rowNorm(x: Tensor): Float64Array {
    return this.rowNormSq(x).map(Math.sqrt);
  }

  matmul(a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
    const { m, k, n } = checkMatmul(a, b, options);
    const A = a.data;
    const B = b.data;
    const out = allocate(m * n, a.dtype);
    const aStride = options.transA ? [1, m] : [k, 1];
    const acc = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let p = 0; p < k; p++) {
        const av = A[i * aStride[0]! + p * aStride[1]!]!;
        if (av === 0) continue;
        if (options.transB) {
          for (let j = 0; j < n; j++) acc[j]! += av * B[j * k + p]!;
        } else {
          const off = p * n;
          for (let j = 0; j < n; j++) acc[j]! += av * B[off + j]!;
        }
      }
      out.set(acc, i * n);
    }
    return new Tensor(out, [m, n]);
  }

  pairwiseSqDist(x: Tensor, y: Tensor): Matrix64 {
    if (x.rowSize !== y.rowSize) throw new ShapeError('y', `rows of ${x.rowSize} values (like x)`, formatShape(y.shape));
    const B = x.rows;
    const n = y.rows;
    const N = x.rowSize;
    const out = new Float64Array(B * n);
    const X = x.data;
    const Y = y.data;
    for (let i = 0; i < B; i++) {
      const xo = i * N;
      for (let j = 0; j < n; j++) {
        const yo = j * N;
        let s = 0;
        for (let q = 0; q < N; q++) {
          const d = X[xo + q]! - Y[yo + q]!;
          s += d * d;
        }
        out[i * n + j] = s;
      }
    }
    return { data: out, rows: B, cols: n };
  }

  softmaxRows(logits: Matrix64, options?: SoftmaxOptions): Float64Array {
    const { data, rows, cols } = logits;
    const exp = checkSoftmaxOptions(options) ? expF32 : Math.exp;
    const lse = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let m = -Infinity;
      for (let j = 0; j < cols; j++) if (data[o + j]! > m) m = data[o + j]!;
      if (m === -Infinity || Number.isNaN(m) || m === Infinity) throw new ValueError(`logits row ${r}`, m, 'at least one finite logit and no +Infinity');
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const e = exp(data[o + j]! - m);
        data[o + j] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let j = 0; j < cols; j++) data[o + j]! *= inv;
      lse[r] = m + Math.log(s);
    }
    return lse;
  }

  weightedSum(w: Matrix64, y: Tensor): Tensor {
    if (w.cols !== y.rows) throw new ShapeError('y', `${w.cols} rows (the columns of w)`, formatShape(y.shape));
    const N = y.rowSize;
    const out = allocate(w.rows * N, y.dtype);
    const acc = new Float64Array(N);
    const [W, Y] = [w.data, y.data];
    for (let i = 0; i < w.rows; i++) {
      acc.fill(0);
      for (let j = 0; j < w.cols; j++) {
        const wij = W[i * w.cols + j]!;
        if (wij === 0) continue;
        const off = j * N;
        for (let q = 0; q < N; q++) acc[q]! += wij * Y[off + q]!;
      }
      out.set(acc, i * N);
    }
    return new Tensor(out, [w.rows, ...y.shape.slice(1)]);
  }

  philoxNormal(out: Tensor, draw: PhiloxCall): Tensor {
    checkPhiloxCall(draw);
    return fillPhiloxNormal(out, draw);
  }

  firstNonFinite(x: Tensor): number {
    return firstNonFinite(x.data);
  }
}
