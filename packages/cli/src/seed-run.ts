import { tileGrid, writeNpz } from '@phys/metrics';
import type { Tensor } from '@phys/tensor';
import { UsageError } from './errors.js';
import { batchNpzPath, seedImagePath, seedWritten } from './outdir.js';
import { writeFileAtomic } from './output.js';
import { encodePng } from './png.js';
import { SeedSet } from './seeds.js';
import { resolveShard, shardSpan, type Shard } from './shard.js';

/** Options of {@link planSeedRun} (the `phys sample` flags of one-file-per-seed runs). */
export interface SeedRunOptions {
  /** `--seeds`, e.g. `0-49999`. */
  seeds: string;
  /** `--outdir`. */
  outdir: string;
  /** `--subdirs`: EDM's sub-folders of 1000 seeds. */
  subdirs: boolean;
  /** `--npz`: also a float32 .npz of each batch's raw samples. */
  npz: boolean;
  /** `--shard i/n`. */
  shard: string | undefined;
  /** `--num-shards` (with JOB_COMPLETION_INDEX). */
  numShards: string | undefined;
}

/** What {@link planSeedRun} decided: the seeds still to do and how to write a finished batch. */
export interface SeedRun {
  readonly shard: Shard;
  /** Seeds of this shard. */
  readonly shardSeeds: SeedSet;
  /** Seeds of this shard not yet written (a rerun skips the rest). */
  readonly pending: SeedSet;
  /** Writes rows `0..` of `x` as seeds `start..` (PNGs with `range` mapped onto 0..255; the .npz first with `npz`). */
  write(x: Tensor, start: number, range: readonly [number, number]): Promise<void>;
}

/**
 * Plans a `phys sample --seeds ... --outdir ...` run: this process's shard of the seeds (contiguous,
 * see {@link resolveShard}) minus the seeds already on disk. Every file appears by an atomic
 * rename, so a killed run leaves only whole files and a rerun resumes where it stopped; the union
 * of the shards' files is the single-process run, byte for byte (samples depend on the seed only).
 */
export function planSeedRun(options: SeedRunOptions, env: Readonly<Record<string, string | undefined>> = process.env): SeedRun {
  const all = SeedSet.parse(options.seeds);
  if (all.count === 0) throw new UsageError('--seeds selects no seeds');
  const shard = resolveShard(options.shard, options.numShards, env);
  const { from, to } = shardSpan(all.count, shard);
  const shardSeeds = all.slice(from, to);
  const pending = shardSeeds.filter((s) => !seedWritten(options.outdir, s, options.subdirs));
  const { outdir, subdirs } = options;
  const write = async (x: Tensor, start: number, range: readonly [number, number]): Promise<void> => {
    // The .npz goes first: an image on disk means its batch's raw values are on disk too (a run
    // killed between the two rewrites those seeds in a second .npz; the `seeds` member tells).
    if (options.npz) {
      const seeds = Float64Array.from({ length: x.rows }, (_, i) => start + i);
      const data = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
      await writeFileAtomic(batchNpzPath(outdir, start, start + x.rows), writeNpz({ x: { data, shape: x.shape }, seeds: { data: seeds, shape: [x.rows] } }));
    }
    for (let i = 0; i < x.rows; i++) {
      const img = tileGrid(x.sliceRows(i, i + 1), range, 0);
      await writeFileAtomic(seedImagePath(outdir, start + i, subdirs), encodePng({ ...img, text: undefined }));
    }
  };
  return { shard, shardSeeds, pending, write };
}
