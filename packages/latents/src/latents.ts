import { ShapeError, ValueError } from '@phys/tensor';

/**
 * The discrete latent space of DisCo-Diff (thesis Sec. 4.2.1): z in {0, ..., k-1}^m, m latents each
 * drawn from a categorical distribution with codebook size k. The null latent of classifier-free
 * guidance (Sec. 4.3.1) is the extra index `k` (see {@link Latents.null}).
 */
export interface LatentSpace {
  /** Number of discrete latents per sample (thesis m; 10 on ImageNet, 1 on the 2-D toy). */
  readonly m: number;
  /** Codebook size of each latent (thesis k; 100 or 1000 on ImageNet, 8 on the 2-D toy). */
  readonly k: number;
}

/** Largest m and k accepted (indices are stored in an Int32Array). */
const MAX_DIM = 1 << 24;

/**
 * A validated {@link LatentSpace}. Throws {@link ValueError} unless `m` is an integer >= 1 and `k`
 * an integer >= 2 (a codebook of one entry carries no information).
 */
export function latentSpace(m: number, k: number): LatentSpace {
  if (!(Number.isInteger(m) && m >= 1 && m <= MAX_DIM)) throw new ValueError('m', m, `an integer in [1, ${MAX_DIM}] (number of latents)`);
  if (!(Number.isInteger(k) && k >= 2 && k <= MAX_DIM)) throw new ValueError('k', k, `an integer in [2, ${MAX_DIM}] (codebook size)`);
  return Object.freeze({ m, k });
}

/** Throws {@link ValueError} unless `space` is a valid latent space. */
export function checkSpace(space: LatentSpace, argument = 'space'): LatentSpace {
  if (typeof space !== 'object' || (space as unknown) === null) throw new ValueError(argument, space, 'a LatentSpace {m, k}');
  latentSpace(space.m, space.k);
  return space;
}

/** Throws {@link ShapeError} unless the two spaces have the same m and k. */
export function assertSameSpace(expected: LatentSpace, found: LatentSpace, argument: string): void {
  if (expected.m !== found.m || expected.k !== found.k) {
    throw new ShapeError(argument, `latents with m = ${expected.m}, k = ${expected.k}`, `m = ${found.m}, k = ${found.k}`);
  }
}

/**
 * A batch of discrete latent sequences: `rows` samples of m indices each, stored row-major in an
 * Int32Array. Every index is in [0, k) or equals k, the null latent of classifier-free guidance
 * (thesis Sec. 4.3.1: "a non-informative null-embedding"). Construction validates every entry.
 */
export class Latents {
  /** The latent space (m, k). */
  readonly space: LatentSpace;
  /** Number of samples. */
  readonly rows: number;
  /** `rows * m` indices, row-major: latent i of sample r is `indices[r * m + i]`. */
  readonly indices: Int32Array;

  /**
   * Wraps `indices` (not copied). Throws {@link ShapeError} when the length is not `rows * m`
   * and {@link ValueError} naming the first index outside [0, k] (k = null).
   */
  constructor(space: LatentSpace, indices: Int32Array, rows?: number) {
    checkSpace(space);
    if (!(indices instanceof Int32Array)) throw new ValueError('indices', indices, 'an Int32Array');
    const r = rows ?? indices.length / space.m;
    if (!(Number.isInteger(r) && r >= 0) || indices.length !== r * space.m) {
      throw new ShapeError('indices', `${rows === undefined ? 'a multiple of' : `${rows} x`} m = ${space.m} entries`, `${indices.length} entries`);
    }
    checkIndices(indices, space, true, 'z');
    this.space = space;
    this.rows = r;
    this.indices = indices;
  }

  /**
   * Latents from plain numbers: either one array per sample (`[[z_1, ..., z_m], ...]`, each of
   * length m) or a flat row-major list. Null entries (k) are allowed; anything else outside
   * [0, k) throws {@link ValueError} (`z[3][1]: expected an integer in [0, 8) ...`), a row of the
   * wrong length throws {@link ShapeError}.
   */
  static from(space: LatentSpace, values: readonly (readonly number[])[] | ArrayLike<number>): Latents {
    checkSpace(space);
    if (isNested(values)) {
      const out = new Int32Array(values.length * space.m);
      values.forEach((row, r) => {
        if (row.length !== space.m) throw new ShapeError(`z[${r}]`, `${space.m} latents (m = ${space.m})`, `${row.length}`);
        for (let i = 0; i < space.m; i++) {
          const v = row[i]!;
          if (!(Number.isInteger(v) && v >= 0 && v <= space.k)) throw indexError(`z[${r}][${i}]`, v, space);
          out[r * space.m + i] = v;
        }
      });
      return new Latents(space, out);
    }
    const flat = values;
    if (flat.length % space.m !== 0) throw new ShapeError('z', `a multiple of m = ${space.m} entries`, `${flat.length}`);
    const out = new Int32Array(flat.length);
    for (let j = 0; j < flat.length; j++) {
      const v = flat[j]!;
      if (!(Number.isInteger(v) && v >= 0 && v <= space.k)) throw indexError(`z[${Math.floor(j / space.m)}][${j % space.m}]`, v, space);
      out[j] = v;
    }
    return new Latents(space, out);
  }

  /** `rows` copies of the null latent (every index = k), the unconditional input of CFG. */
  static null(space: LatentSpace, rows: number): Latents {
    checkSpace(space);
    if (!(Number.isInteger(rows) && rows >= 0)) throw new ValueError('rows', rows, 'a non-negative integer');
    return new Latents(space, new Int32Array(rows * space.m).fill(space.k), rows);
  }

  /** `rows` samples with every latent 0 (a valid placeholder prefix for ancestral sampling). */
  static zeros(space: LatentSpace, rows: number): Latents {
    checkSpace(space);
    if (!(Number.isInteger(rows) && rows >= 0)) throw new ValueError('rows', rows, 'a non-negative integer');
    return new Latents(space, new Int32Array(rows * space.m), rows);
  }

  /** Concatenates batches of the same space along the rows. */
  static concat(parts: readonly Latents[]): Latents {
    if (parts.length === 0) throw new ValueError('parts', parts, 'at least one Latents batch');
    const space = parts[0]!.space;
    parts.forEach((p, i) => {
      assertSameSpace(space, p.space, `parts[${i}]`);
    });
    const out = new Int32Array(parts.reduce((s, p) => s + p.indices.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p.indices, o);
      o += p.indices.length;
    }
    return new Latents(space, out);
  }

  /** Number of latents per sample. */
  get m(): number {
    return this.space.m;
  }

  /** Codebook size. */
  get k(): number {
    return this.space.k;
  }

  /** Latent `i` of sample `row`. */
  get(row: number, i: number): number {
    if (!(Number.isInteger(row) && row >= 0 && row < this.rows)) throw new ValueError('row', row, `an integer in [0, ${this.rows})`);
    if (!(Number.isInteger(i) && i >= 0 && i < this.space.m)) throw new ValueError('i', i, `an integer in [0, ${this.space.m}) (m = ${this.space.m})`);
    return this.indices[row * this.space.m + i]!;
  }

  /** The m indices of sample `row` (a view). */
  row(row: number): Int32Array {
    if (!(Number.isInteger(row) && row >= 0 && row < this.rows)) throw new ValueError('row', row, `an integer in [0, ${this.rows})`);
    return this.indices.subarray(row * this.space.m, (row + 1) * this.space.m);
  }

  /** Whether any latent of sample `row` is the null latent. */
  hasNull(row: number): boolean {
    return this.row(row).includes(this.space.k);
  }

  /** Rows `[start, end)` as a view sharing memory. */
  sliceRows(start: number, end: number): Latents {
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= this.rows)) {
      throw new ValueError('rows', [start, end], `0 <= start <= end <= ${this.rows}`);
    }
    return new Latents(this.space, this.indices.subarray(start * this.space.m, end * this.space.m), end - start);
  }

  /** A deep copy. */
  clone(): Latents {
    return new Latents(this.space, this.indices.slice(), this.rows);
  }

  /** One array of m numbers per sample. */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let r = 0; r < this.rows; r++) out.push(Array.from(this.row(r)));
    return out;
  }

  /**
   * Throws {@link ValueError} naming the first null entry, for consumers that need real codes
   * (priors: the null latent has no probability).
   */
  assertNoNull(argument = 'z'): void {
    checkIndices(this.indices, this.space, false, argument);
  }
}

function isNested(values: readonly (readonly number[])[] | ArrayLike<number>): values is readonly (readonly number[])[] {
  return Array.isArray(values) && values.length > 0 && Array.isArray(values[0]);
}

function indexError(argument: string, value: number, space: LatentSpace, allowNull = true): ValueError {
  return new ValueError(
    argument,
    value,
    allowNull ? `an integer in [0, ${space.k}) (codebook size k = ${space.k}) or ${space.k} (the null latent)` : `an integer in [0, ${space.k}) (codebook size k = ${space.k}; the null latent is not allowed here)`,
  );
}

function checkIndices(indices: Int32Array, space: LatentSpace, allowNull: boolean, argument: string): void {
  const hi = allowNull ? space.k : space.k - 1;
  for (let j = 0; j < indices.length; j++) {
    const v = indices[j]!;
    if (v < 0 || v > hi) throw indexError(`${argument}[${Math.floor(j / space.m)}][${j % space.m}]`, v, space, allowNull);
  }
}
