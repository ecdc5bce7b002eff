// Loads golden files from test-support/golden, the repository's copy of the shared golden folder
// (see its PROVENANCE.md). Tests only.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Absolute path of the golden folder, `test-support/golden` (`PHYS_GOLDEN_DIR` overrides). */
export const goldenDir = process.env.PHYS_GOLDEN_DIR ?? path.resolve(repoRoot, 'test-support', 'golden');

/** Parsed JSON of `<goldenDir>/<name>`; throws with the path tried when it is missing. */
export function loadGolden<T = any>(name: string): T {
  const file = path.join(goldenDir, name);
  if (!existsSync(file)) throw new Error(`golden file not found: ${file} (set PHYS_GOLDEN_DIR)`);
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Asserts |a - e| <= atol + rtol*|e| elementwise, reporting the worst index. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what = 'value'): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != expected ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(`${what}[${worst}]: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

/** Flattens nested number arrays. */
export function flat(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x as number];
}

/** max |a - b| / max |b|: the relative error of `a` against the reference `b`, in the max norm. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
  }
  return err / scale;
}
