// Mergeable feature statistics as .npz: pytorch-fid's `mu`, `sigma` plus what exact merging needs.
import { ValueError } from '@phys/tensor';
import { readNpz, writeNpz, type NpyArray } from './npz.js';
import { FeatureStatistics } from './stats.js';

/**
 * .npz bytes of `stats` that pytorch-fid reads as reference statistics (`mu` `(d,)`, `sigma`
 * `(d, d)`, float64, ddof 1) and that {@link parseFeatureStatistics} restores exactly for merging:
 * `count` `(1,)`, and the float64 sums about the reference point, `shift` `(d,)`, `sum` `(d,)`
 * (sum of x - shift) and `sum_outer` `(d, d)` (sum of (x - shift)(x - shift)^T).
 * A shard of one sample has no `sigma`, an empty shard neither `mu` nor `sigma` (both still merge).
 */
export function encodeFeatureStatistics(stats: FeatureStatistics, options: { compress?: boolean } = {}): Uint8Array {
  const s = stats.state();
  const d = s.dim;
  return writeNpz(
    {
      ...(s.count >= 1 && { mu: { data: stats.mean(), shape: [d] } }),
      ...(s.count >= 2 && { sigma: { data: stats.covariance(), shape: [d, d] } }),
      count: { data: Float64Array.of(s.count), shape: [1] },
      shift: { data: s.shift, shape: [d] },
      sum: { data: s.sum, shape: [d] },
      sum_outer: { data: s.sumOuter, shape: [d, d] },
    },
    options,
  );
}

function present(arrays: Map<string, NpyArray>, name: string): NpyArray {
  const a = arrays.get(name);
  if (!a) {
    throw new ValueError('npz', [...arrays.keys()], `a member '${name}' (mergeable statistics from 'phys stats'; a pytorch-fid file with only mu and sigma cannot be merged)`);
  }
  return a;
}

function member(arrays: Map<string, NpyArray>, name: string, shape: number[]): Float64Array {
  const a = present(arrays, name);
  if (a.dtype !== 'float64') throw new ValueError(`npz member ${name} dtype`, a.dtype, 'float64 (float32 sums would not merge exactly)');
  if (a.shape.length !== shape.length || a.shape.some((v, i) => v !== shape[i])) throw new ValueError(`npz member ${name} shape`, a.shape, `(${shape.join(', ')})`);
  return a.data as Float64Array;
}

/** Restores statistics written by {@link encodeFeatureStatistics} (merge them with {@link FeatureStatistics.merge}). */
export function parseFeatureStatistics(bytes: Uint8Array): FeatureStatistics {
  const arrays = readNpz(bytes);
  const shift = present(arrays, 'shift');
  if (shift.shape.length !== 1) throw new ValueError('npz member shift shape', shift.shape, '(d,)');
  const d = shift.shape[0]!;
  const count = member(arrays, 'count', [1])[0]!;
  return FeatureStatistics.fromState({ dim: d, count, shift: member(arrays, 'shift', [d]), sum: member(arrays, 'sum', [d]), sumOuter: member(arrays, 'sum_outer', [d, d]) });
}
