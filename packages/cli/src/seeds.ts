import { UsageError } from './errors.js';

/** A half-open range of seeds `[start, end)`. */
export interface SeedRange {
  readonly start: number;
  readonly end: number;
}

/** The largest seed: seed s is sample index s of the Philox stream, a 32-bit counter word. */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * A sorted set of seeds held as disjoint ranges, so `0-999999999` costs two numbers, not a
 * billion. Seed s names the file `{s:06d}.png` and is sample index s of the Philox stream.
 */
export class SeedSet {
  /** Disjoint, sorted, non-adjacent ranges. */
  readonly ranges: readonly SeedRange[];
  /** Number of seeds. */
  readonly count: number;

  constructor(ranges: readonly SeedRange[]) {
    const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
    const merged: SeedRange[] = [];
    for (const r of sorted) {
      const last = merged[merged.length - 1];
      if (last !== undefined && r.start <= last.end) merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
      else merged.push(r);
    }
    this.ranges = merged;
    this.count = merged.reduce((n, r) => n + r.end - r.start, 0);
  }

  /**
   * Parses EDM's `--seeds` syntax: comma-separated seeds and inclusive ranges, e.g. `0-49999` or
   * `0-9,100,200-209`. Overlaps are merged; the order does not matter (files are named by seed).
   */
  static parse(text: string): SeedSet {
    const ranges: SeedRange[] = [];
    for (const part of text.split(',')) {
      const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
      if (!m) throw new UsageError(`--seeds: '${part}' is not a seed or a range a-b (e.g. --seeds 0-49999 or 0-9,100)`);
      const a = Number(m[1]);
      const b = m[2] === undefined ? a : Number(m[2]);
      if (b < a) throw new UsageError(`--seeds: range '${part}' ends before it starts`);
      if (b > MAX_SEED) throw new UsageError(`--seeds: ${b} is above the largest seed ${MAX_SEED}`);
      ranges.push({ start: a, end: b + 1 });
    }
    return new SeedSet(ranges);
  }

  /** The seeds at positions `[from, to)` of the sorted set. */
  slice(from: number, to: number): SeedSet {
    const out: SeedRange[] = [];
    let pos = 0;
    for (const r of this.ranges) {
      const len = r.end - r.start;
      const a = Math.max(from, pos);
      const b = Math.min(to, pos + len);
      if (a < b) out.push({ start: r.start + (a - pos), end: r.start + (b - pos) });
      pos += len;
    }
    return new SeedSet(out);
  }

  /** Seeds in `[first, first + n)` order, range by range. */
  *[Symbol.iterator](): IterableIterator<number> {
    for (const r of this.ranges) for (let s = r.start; s < r.end; s++) yield s;
  }

  /** The set without the seeds for which `done(seed)` is true. */
  filter(keep: (seed: number) => boolean): SeedSet {
    const out: SeedRange[] = [];
    let open: number | undefined;
    for (const r of this.ranges) {
      for (let s = r.start; s < r.end; s++) {
        if (keep(s)) open ??= s;
        else if (open !== undefined) {
          out.push({ start: open, end: s });
          open = undefined;
        }
      }
      if (open !== undefined) {
        out.push({ start: open, end: r.end });
        open = undefined;
      }
    }
    return new SeedSet(out);
  }

  /** How many batches {@link SeedSet.batches} yields for `size`. */
  batchCount(size: number): number {
    return this.ranges.reduce((n, r) => n + Math.ceil((r.end - r.start) / size), 0);
  }

  /**
   * Batches of at most `size` consecutive seeds (a batch never spans a gap: its rows are samples
   * `start..end-1` of the Philox stream, drawn with `sampleOffset = start`).
   */
  *batches(size: number): IterableIterator<SeedRange> {
    for (const r of this.ranges) for (let s = r.start; s < r.end; s += size) yield { start: s, end: Math.min(r.end, s + size) };
  }
}
