// Property-based fuzzing of the public API (fast-check): random shapes, hostile values (NaN,
// +-Infinity, denormals, huge, empty) and options. The property every public function must hold:
// it returns a result free of NaN (and of +-Infinity unless allowed) or throws a typed PhysError;
// never a bare TypeError/RangeError, never a hang (each property runs under a time budget).
import fc from 'fast-check';
import { PhysError, Tensor, type DType } from '@phys/tensor';

/** Runs per property and wall-clock budget per property (ms): the whole suite stays well under a minute on 2 cores. */
export const FUZZ_RUNS = 100;
export const FUZZ_TIME_MS = 1000;

/** Seed of every property (fixed, so failures reproduce; fast-check prints the counterexample). */
export const FUZZ_SEED = 19;

/** Ordinary values with a sprinkling of hostile ones. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -8, max: 8, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 5e-324, 1e-310, 1e300, -1e300, 3.4e38, 1e-30) },
);

/** Finite values, with denormals and large magnitudes but no NaN/Infinity. */
export const finiteNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -8, max: 8, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 5e-324, 1e-310, 1e6, -1e6, 1e-30) },
);

/** A scalar option as a careless user passes it: numbers good and bad, and wrong types. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0, 1, 2, 1e9, 0.5, '3', null, undefined, {}, [], true) },
);

export interface TensorArbOptions {
  minRows?: number;
  maxRows?: number;
  /** Data dimensions: each in [minDim, maxDim]; the rank is 1 + dims.length. */
  minDim?: number;
  maxDim?: number;
  maxDims?: number;
  /** A fixed row shape instead of random dims. */
  rowShape?: readonly number[];
  values?: fc.Arbitrary<number>;
  dtype?: DType;
}

/** A batch-first tensor of random shape and values. */
export function tensorArb(o: TensorArbOptions = {}): fc.Arbitrary<Tensor> {
  const rows = fc.integer({ min: o.minRows ?? 0, max: o.maxRows ?? 4 });
  const dims = o.rowShape ? fc.constant([...o.rowShape]) : fc.array(fc.integer({ min: o.minDim ?? 0, max: o.maxDim ?? 4 }), { minLength: 1, maxLength: o.maxDims ?? 2 });
  const dtype = o.dtype ? fc.constant(o.dtype) : fc.constantFrom<DType>('float32', 'float64');
  return fc.tuple(rows, dims, dtype).chain(([r, d, t]) => {
    const shape = [r, ...d];
    const size = shape.reduce((a, b) => a * b, 1);
    return fc.array(o.values ?? hostileNumber, { minLength: size, maxLength: size }).map((v) => Tensor.from(v, shape, t));
  });
}

/** Where `value` holds NaN (or +-Infinity unless `allowInfinity`): a path for the message, or undefined. */
export function findBad(value: unknown, allowInfinity = false, path = 'result', depth = 0): string | undefined {
  const bad = (v: number): boolean => Number.isNaN(v) || (!allowInfinity && !Number.isFinite(v));
  if (typeof value === 'number') return bad(value) ? `${path} = ${value}` : undefined;
  if (value instanceof Tensor) return findBad(value.data, allowInfinity, `${path}.data`, depth);
  if (value instanceof Float32Array || value instanceof Float64Array) {
    for (let i = 0; i < value.length; i++) if (bad(value[i]!)) return `${path}[${i}] = ${value[i]!}`;
    return undefined;
  }
  if (depth > 3 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = findBad(v, allowInfinity, `${path}.${k}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Whether `e` is a typed error of phys (or an abort): anything else is a bug the fuzzer found. */
export function isTypedError(e: unknown): boolean {
  return e instanceof PhysError || (e instanceof Error && e.name === 'AbortError');
}

/**
 * Checks one call: it throws a typed error, or returns (or resolves to) a value without NaN (and
 * without +-Infinity unless `allowInfinity`). Returns a description of the violation or undefined.
 */
export async function violation(call: () => unknown, allowInfinity = false): Promise<string | undefined> {
  let out: unknown;
  try {
    out = await call();
  } catch (e) {
    return isTypedError(e) ? undefined : `threw an untyped ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  const bad = findBad(out, allowInfinity);
  return bad ? `returned a non-finite value: ${bad}` : undefined;
}

/** Runs an async property under the suite's budget; a violation fails with the counterexample. */
export async function fuzz<T>(arb: fc.Arbitrary<T>, call: (input: T) => unknown, options: { allowInfinity?: boolean; runs?: number } = {}): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arb, async (input) => {
      const v = await violation(() => call(input), options.allowInfinity);
      if (v) throw new Error(v);
    }),
    { numRuns: options.runs ?? FUZZ_RUNS, seed: FUZZ_SEED, interruptAfterTimeLimit: FUZZ_TIME_MS, markInterruptAsFailure: false },
  );
}

export { fc };
