// The 2-D data of thesis Fig. 4.3 (App. B.2.2): 8 Gaussians with std 0.2 on a circle of radius 3.
import { Tensor, type Random } from '@phys/tensor';

export const RING_RADIUS = 3;
export const RING_STD = 0.2;

/** Mode centres in the order of tools/disco/train.py (thesis mu_1..mu_8, with mu_7 = (-a, -a)). */
export function ringMeans(): number[][] {
  const a = RING_RADIUS / Math.SQRT2;
  return [
    [RING_RADIUS, 0],
    [-RING_RADIUS, 0],
    [0, RING_RADIUS],
    [0, -RING_RADIUS],
    [a, a],
    [a, -a],
    [-a, -a],
    [-a, a],
  ];
}

/**
 * `n` samples with equal mode weights (float64) and the mode of each; `stratified` puts exactly
 * every 8th sample in each mode (like the training set) instead of drawing the mode.
 */
export function ringMixture(n: number, rng: Random, options: { stratified?: boolean } = {}): { x: Tensor; mode: Int32Array } {
  const mu = ringMeans();
  const u = rng.uniform([n, 1], 'float64').data;
  const g = rng.normal([n, 2], 'float64').data;
  const x = Tensor.zeros([n, 2], 'float64');
  const mode = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = options.stratified === true ? i % 8 : Math.min(7, Math.floor(u[i]! * 8));
    mode[i] = j;
    x.data[2 * i] = mu[j]![0]! + RING_STD * g[2 * i]!;
    x.data[2 * i + 1] = mu[j]![1]! + RING_STD * g[2 * i + 1]!;
  }
  return { x, mode };
}
