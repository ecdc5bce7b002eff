import { type Tensor } from '@phys/tensor';
import { gram, rowSqNorms, rows64 } from './features.js';
import { finiteResult } from './util.js';
import { ValueError } from '@phys/tensor';

/**
 * In-batch similarity score of particle guidance (thesis Sec. 6.4.2, App. B.4.2): the mean cosine
 * similarity over ordered pairs i != j of the batch's feature vectors,
 * 1/(n(n-1)) sum_{i != j} <f_i, f_j> / (|f_i| |f_j|). Lower means a more diverse batch. The thesis
 * averages it over prompts (batches of 4 DINO features).
 */
export function inBatchSimilarity(features: Tensor): number {
  const x = rows64(features, 'features', 2);
  const n = x.rows;
  const norms = rowSqNorms(x);
  for (let i = 0; i < n; i++) if (!(norms[i]! > 0)) throw new ValueError(`features row ${i}`, 0, 'a non-zero feature vector (cosine similarity)');
  const g = gram(x, x);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const ni = Math.sqrt(norms[i]!);
    for (let j = 0; j < n; j++) if (j !== i) s += g[i * n + j]! / (ni * Math.sqrt(norms[j]!));
  }
  return finiteResult(s / (n * (n - 1)), 'inBatchSimilarity');
}
