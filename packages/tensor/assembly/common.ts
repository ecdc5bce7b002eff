// Helpers shared by the kernel families: element loads and stores that widen float32 to float64
// lanes on load and round once on store (T is f32 or f64, resolved at compile time), and the
// horizontal sum of an f64x2. Every kernel computes in float64, like the TypeScript reference
// backend; WebAssembly has no fused multiply-add, so products and sums round like it.

/** Two consecutive elements at `p` as f64x2. */
// @ts-expect-error: decorator (AssemblyScript)
@inline export function loadV<T>(p: usize): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(v128.load64_zero(p));
  return v128.load(p);
}

/** One element at `p` as f64. */
// @ts-expect-error: decorator (AssemblyScript)
@inline export function loadS<T>(p: usize): f64 {
  if (sizeof<T>() == 4) return <f64>load<f32>(p);
  return load<f64>(p);
}

/** Stores the f64x2 `v` as two elements at `p` (rounded to float32 for f32). */
// @ts-expect-error: decorator (AssemblyScript)
@inline export function storeV<T>(p: usize, v: v128): void {
  if (sizeof<T>() == 4) v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
  else v128.store(p, v);
}

/** Stores `v` as one element at `p` (rounded to float32 for f32). */
// @ts-expect-error: decorator (AssemblyScript)
@inline export function storeS<T>(p: usize, v: f64): void {
  if (sizeof<T>() == 4) store<f32>(p, <f32>v);
  else store<f64>(p, v);
}

/** lane 0 + lane 1. */
// @ts-expect-error: decorator (AssemblyScript)
@inline export function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
