// Shared test helpers: golden inputs of test-support/golden/metrics as float64 tensors.
import { Tensor } from '@phys/tensor';
import { flat, loadGolden } from '../../../test-support/golden.js';

interface Matrix {
  shape: number[];
  data: unknown;
}

const inputs = loadGolden<{ matrices: Record<string, Matrix>; generated: { sets: Record<string, GenSpec>; check_values: Record<string, Record<string, number>> } }>(
  'metrics/inputs.json',
);

interface GenSpec {
  seed: number;
  n: number;
  d: number;
  scale: number;
  shift: number;
}

/** A named matrix of golden/metrics/inputs.json as a float64 tensor. */
export function input(name: string): Tensor {
  const m = inputs.matrices[name];
  if (!m) throw new Error(`no golden input ${name}`);
  return Tensor.from(flat(m.data), m.shape, 'float64');
}

/** A named matrix as a plain number array. */
export function inputArray(name: string): number[] {
  return flat(inputs.matrices[name]!.data);
}

function lowbias32(x0: number): number {
  let x = x0 >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A generated feature set of inputs.json (`generated.sets[name]`), by its formula. */
export function generated(name: string): Tensor {
  const s = inputs.generated.sets[name];
  if (!s) throw new Error(`no generated set ${name}`);
  const { seed, n, d, scale, shift } = s;
  const out = new Float64Array(n * d);
  const base = Math.imul(seed, 0x9e3779b9);
  const u = (i: number, j: number): number => (lowbias32((base + i * d + j) >>> 0) + 0.5) / 4294967296;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = scale * (u(i, j) + 0.5 * u(i, (j + 1) % d)) + shift;
  return new Tensor(out, [n, d]);
}

/** Check values of a generated set. */
export function generatedCheck(name: string): Record<string, number> {
  return inputs.generated.check_values[name]!;
}
