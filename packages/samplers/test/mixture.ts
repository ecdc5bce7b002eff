// The exact denoiser of a 2-D mixture of Gaussians, written as tools/samplers/make_cases.py writes
// it: D(x; sigma) = sum_k gamma_k (s^2 x + sigma^2 m_k)/(s^2 + sigma^2), gamma = softmax of
// log w_k - |x - m_k|^2 / (2 (s^2 + sigma^2)).
import { Tensor, type Denoiser } from '@phys/tensor';

export interface Mixture {
  means: number[][];
  weights: number[];
  std: number;
}

export const MIXTURE: Mixture = { means: [[-1, -1], [-1, 1], [1, -1], [1, 1]], weights: [0.1, 0.2, 0.3, 0.4], std: 0.1 };

export function mixtureDenoiser(m: Mixture = MIXTURE): Denoiser {
  const K = m.means.length;
  const dim = m.means[0]!.length;
  const s2 = m.std * m.std;
  return (x, sigma) => {
    const out = Tensor.zeros(x.shape, 'float64');
    const logits = new Float64Array(K);
    for (let r = 0; r < x.rows; r++) {
      const sg2 = sigma[r]! ** 2;
      const v = s2 + sg2;
      let max = -Infinity;
      for (let k = 0; k < K; k++) {
        let d2 = 0;
        for (let j = 0; j < dim; j++) d2 += (x.data[r * dim + j]! - m.means[k]![j]!) ** 2;
        logits[k] = Math.log(m.weights[k]!) - d2 / (2 * v);
        if (logits[k]! > max) max = logits[k]!;
      }
      let z = 0;
      for (let k = 0; k < K; k++) z += (logits[k] = Math.exp(logits[k]! - max));
      for (let j = 0; j < dim; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += (logits[k]! / z) * ((s2 * x.data[r * dim + j]! + sg2 * m.means[k]![j]!) / v);
        out.data[r * dim + j] = acc;
      }
    }
    return Promise.resolve(out);
  };
}
