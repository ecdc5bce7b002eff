// Test-only float64 helpers: the exact posterior-mean denoiser over a finite reference set
// (golden/README.md "Exact denoiser") and a recorder of denoiser calls.
import { Tensor, type Denoiser } from '@phys/tensor';

/**
 * D(x; sigma) = sum_k w_k y_k with w = softmax(-|x - y_k|^2/(2 sigma^2)) (Gaussian, D = Infinity)
 * or w proportional to (|x - y_k|^2 + r^2)^(-(N+D)/2), r = sigma sqrt(D) (PFGM++), in float64.
 */
export function exactDenoiser(ref: readonly (readonly number[])[], D = Infinity): Denoiser {
  const n = ref[0]!.length;
  return (x, sigma) => {
    const out = Tensor.zeros(x.shape, 'float64');
    const logw = new Float64Array(ref.length);
    for (let i = 0; i < x.rows; i++) {
      const xi = x.row(i);
      const s = sigma[i]!;
      let max = -Infinity;
      for (let k = 0; k < ref.length; k++) {
        let d2 = 0;
        for (let j = 0; j < n; j++) d2 += (xi[j]! - ref[k]![j]!) ** 2;
        logw[k] = D === Infinity ? -d2 / (2 * s * s) : -0.5 * (n + D) * Math.log(d2 + s * s * D);
        max = Math.max(max, logw[k]!);
      }
      let z = 0;
      for (let k = 0; k < ref.length; k++) z += (logw[k] = Math.exp(logw[k]! - max));
      const o = out.row(i);
      for (let k = 0; k < ref.length; k++) for (let j = 0; j < n; j++) o[j]! += (logw[k]! / z) * ref[k]![j]!;
    }
    return Promise.resolve(out);
  };
}

/** One recorded denoiser call. */
export interface Call {
  sigma: number;
  x: number[];
}

/** Wraps a denoiser and records every call's sigma (row 0) and input. */
export function recording(d: Denoiser): { denoiser: Denoiser; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    denoiser: (x, sigma, cond) => {
      calls.push({ sigma: sigma[0]!, x: Array.from(x.data) });
      return d(x, sigma, cond);
    },
  };
}
