import { ShapeError, ValueError, type Tensor } from '@phys/tensor';
import { rowSqNorms, rows64, sqDistances, type Rows64 } from './features.js';
import { finiteResult } from './util.js';

/** Result of {@link precisionRecall} (JSON-serialisable apart from the typed arrays). */
export interface PrecisionRecallResult {
  /** Fraction of generated samples inside the real manifold (some real k-NN ball). */
  readonly precision: number;
  /** Fraction of real samples inside the generated manifold. */
  readonly recall: number;
  /** 2PR / max(1e-5, P + R) (torch-fidelity's f_score). */
  readonly fScore: number;
  readonly k: number;
  /** Per generated sample: 1 when inside some real ball. */
  readonly generatedInReal: Uint8Array;
  /** Per real sample: 1 when inside some generated ball. */
  readonly realInGenerated: Uint8Array;
  /** Distance of each real sample to its k-th nearest real neighbour (self excluded). */
  readonly radiiReal: Float64Array;
  /** Distance of each generated sample to its k-th nearest generated neighbour. */
  readonly radiiGenerated: Float64Array;
}

const BLOCK = 1024;

/** Distance to the k-th nearest neighbour within the same set, self excluded (the (k+1)-th smallest). */
export function kNearestRadii(x: Rows64, k: number): Float64Array {
  const n = x.rows;
  const norms = rowSqNorms(x);
  const out = new Float64Array(n);
  const row = new Float64Array(n);
  for (let b0 = 0; b0 < n; b0 += BLOCK) {
    const b1 = Math.min(n, b0 + BLOCK);
    const block = { data: x.data.subarray(b0 * x.dim, b1 * x.dim), rows: b1 - b0, dim: x.dim };
    const d2 = sqDistances(block, x, norms.subarray(b0, b1), norms);
    for (let i = b0; i < b1; i++) {
      row.set(d2.subarray((i - b0) * n, (i - b0 + 1) * n));
      row[i] = 0; // self, exactly
      out[i] = Math.sqrt(kthSmallest(row, k));
    }
  }
  return out;
}

/** k-th smallest (0-based) of `a` by quickselect; reorders `a`. */
function kthSmallest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** For each row of `query`: 1 when |q - m_j| <= radius_j for some row m_j of `manifold`. */
function insideManifold(query: Rows64, manifold: Rows64, radii: Float64Array): Uint8Array {
  const out = new Uint8Array(query.rows);
  const r2 = Float64Array.from(radii, (r) => r * r);
  const qn = rowSqNorms(query);
  const mn = rowSqNorms(manifold);
  const m = manifold.rows;
  for (let b0 = 0; b0 < query.rows; b0 += BLOCK) {
    const b1 = Math.min(query.rows, b0 + BLOCK);
    const block = { data: query.data.subarray(b0 * query.dim, b1 * query.dim), rows: b1 - b0, dim: query.dim };
    const d2 = sqDistances(block, manifold, qn.subarray(b0, b1), mn);
    for (let i = b0; i < b1; i++) {
      const o = (i - b0) * m;
      for (let j = 0; j < m; j++) {
        if (d2[o + j]! <= r2[j]!) {
          out[i] = 1;
          break;
        }
      }
    }
  }
  return out;
}

/**
 * Improved precision and recall (Kynkaanniemi et al. 2019), as torch-fidelity's `metric_prc`:
 * each set's manifold is the union of balls around its samples with radius the distance to the
 * k-th nearest neighbour in the same set (default k = 3); precision is the fraction of generated
 * samples inside the real manifold, recall the fraction of real samples inside the generated one.
 * Distances are float64 (the reference uses float32), computed in row blocks.
 */
export function precisionRecall(generated: Tensor, real: Tensor, options: { k?: number } = {}): PrecisionRecallResult {
  const k = options.k ?? 3;
  const g = rows64(generated, 'generated', 2);
  const r = rows64(real, 'real', 2);
  if (g.dim !== r.dim) throw new ShapeError('real', `rows of ${g.dim} values (like generated)`, `rows of ${r.dim}`);
  if (!(Number.isInteger(k) && k >= 1 && k < Math.min(g.rows, r.rows))) {
    throw new ValueError('k', k, `an integer in [1, ${Math.min(g.rows, r.rows) - 1}] (fewer than the samples of each set)`);
  }
  const radiiReal = finiteResult(kNearestRadii(r, k), 'precisionRecall radii of real');
  const radiiGenerated = finiteResult(kNearestRadii(g, k), 'precisionRecall radii of generated');
  const generatedInReal = insideManifold(g, r, radiiReal);
  const realInGenerated = insideManifold(r, g, radiiGenerated);
  const precision = generatedInReal.reduce((s, v) => s + v, 0) / g.rows;
  const recall = realInGenerated.reduce((s, v) => s + v, 0) / r.rows;
  const fScore = (2 * precision * recall) / Math.max(1e-5, precision + recall);
  return { precision, recall, fScore, k, generatedInReal, realInGenerated, radiiReal, radiiGenerated };
}

/**
 * Realism score of each generated sample (Kynkaanniemi et al. 2019, kynkaat's `evaluate`):
 * max_j radius_j^2 / (|x - real_j|^2 + 1e-5) over the real samples, radii from their k-NN (k = 3).
 * Values >= 1 lie inside the real manifold. Pass `radiiReal` from {@link precisionRecall} to reuse it.
 */
export function realismScores(generated: Tensor, real: Tensor, options: { k?: number; radiiReal?: Float64Array } = {}): Float64Array {
  const g = rows64(generated, 'generated', 1);
  const r = rows64(real, 'real', 2);
  if (g.dim !== r.dim) throw new ShapeError('real', `rows of ${g.dim} values (like generated)`, `rows of ${r.dim}`);
  const radii = options.radiiReal ?? kNearestRadii(r, options.k ?? 3);
  const r2 = Float64Array.from(radii, (v) => v * v);
  const out = new Float64Array(g.rows);
  const gn = rowSqNorms(g);
  const rn = rowSqNorms(r);
  for (let b0 = 0; b0 < g.rows; b0 += BLOCK) {
    const b1 = Math.min(g.rows, b0 + BLOCK);
    const block = { data: g.data.subarray(b0 * g.dim, b1 * g.dim), rows: b1 - b0, dim: g.dim };
    const d2 = sqDistances(block, r, gn.subarray(b0, b1), rn);
    for (let i = b0; i < b1; i++) {
      let best = 0;
      const o = (i - b0) * r.rows;
      for (let j = 0; j < r.rows; j++) best = Math.max(best, r2[j]! / (d2[o + j]! + 1e-5));
      out[i] = best;
    }
  }
  return out;
}
