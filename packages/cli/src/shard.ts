import { UsageError } from './errors.js';

/** One shard of a job: this process does part `index` of `count` (0-based). */
export interface Shard {
  readonly index: number;
  readonly count: number;
  /** Where the numbers came from: `--shard`, or the environment variables read. */
  readonly source: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string, min: number): number {
  const text = env[name]!;
  const n = Number(text);
  if (!(text.trim() !== '' && Number.isInteger(n) && n >= min)) throw new UsageError(`${name} must be an integer >= ${min}, got '${text}'`);
  return n;
}

function checked(index: number, count: number, source: string): Shard {
  if (!(index < count)) throw new UsageError(`shard index ${index} is not below the shard count ${count} (${source})`);
  return { index, count, source };
}

/**
 * The shard of this process. `--shard i/n` wins; otherwise the first of these engines found in
 * the environment (no scheduler of our own):
 * - Slurm job arrays: `SLURM_ARRAY_TASK_ID` - `SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT`;
 *   combined with `srun` tasks (`SLURM_PROCID` of `SLURM_NTASKS`) as index = task * ntasks + procid;
 * - Slurm `srun` tasks alone: `SLURM_PROCID` of `SLURM_NTASKS` (only inside a job step, where
 *   `SLURM_STEP_ID` is set: a batch script without srun is one process, whatever `--ntasks` says);
 * - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` of `numShards` (`--num-shards` or
 *   `PHYS_NUM_SHARDS`; the pod does not see `.spec.completions`, so the manifest passes it);
 * - torchrun and friends: `RANK` of `WORLD_SIZE`;
 * else the whole job (0 of 1).
 */
export function resolveShard(shardOption: string | undefined, numShardsOption: string | undefined, env: Env = process.env): Shard {
  if (shardOption !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(shardOption.trim());
    if (!m) throw new UsageError(`--shard must be i/n with 0 <= i < n (e.g. --shard 2/8), got '${shardOption}'`);
    const n = Number(m[2]);
    if (n < 1) throw new UsageError(`--shard: the shard count must be >= 1, got '${shardOption}'`);
    return checked(Number(m[1]), n, '--shard');
  }
  const has = (name: string): boolean => env[name] !== undefined && env[name] !== '';
  const srun = has('SLURM_PROCID') && has('SLURM_NTASKS') && has('SLURM_STEP_ID');
  if (has('SLURM_ARRAY_TASK_ID')) {
    if (!has('SLURM_ARRAY_TASK_COUNT')) throw new UsageError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not (Slurm >= 18 sets both)');
    const min = has('SLURM_ARRAY_TASK_MIN') ? int(env, 'SLURM_ARRAY_TASK_MIN', 0) : 0;
    const task = int(env, 'SLURM_ARRAY_TASK_ID', 0) - min;
    const tasks = int(env, 'SLURM_ARRAY_TASK_COUNT', 1);
    if (task < 0) throw new UsageError(`SLURM_ARRAY_TASK_ID ${env.SLURM_ARRAY_TASK_ID} is below SLURM_ARRAY_TASK_MIN ${min}`);
    if (srun) {
      const ntasks = int(env, 'SLURM_NTASKS', 1);
      return checked(task * ntasks + int(env, 'SLURM_PROCID', 0), tasks * ntasks, 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT x SLURM_PROCID/SLURM_NTASKS');
    }
    return checked(task, tasks, 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT');
  }
  if (srun) return checked(int(env, 'SLURM_PROCID', 0), int(env, 'SLURM_NTASKS', 1), 'SLURM_PROCID/SLURM_NTASKS');
  if (has('JOB_COMPLETION_INDEX')) {
    const countText = numShardsOption ?? env.PHYS_NUM_SHARDS;
    if (countText === undefined || countText === '') {
      throw new UsageError('JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give the completion count with --num-shards or PHYS_NUM_SHARDS');
    }
    const count = Number(countText);
    if (!(Number.isInteger(count) && count >= 1)) throw new UsageError(`--num-shards / PHYS_NUM_SHARDS must be a positive integer, got '${countText}'`);
    return checked(int(env, 'JOB_COMPLETION_INDEX', 0), count, 'JOB_COMPLETION_INDEX/--num-shards');
  }
  if (has('RANK') && has('WORLD_SIZE')) return checked(int(env, 'RANK', 0), int(env, 'WORLD_SIZE', 1), 'RANK/WORLD_SIZE');
  if (numShardsOption !== undefined) throw new UsageError('--num-shards goes with JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs); use --shard i/n otherwise');
  return { index: 0, count: 1, source: 'single process' };
}

/** Positions `[from, to)` of shard `index` of `count` over `total` items: contiguous, sizes differ by at most one. */
export function shardSpan(total: number, shard: Shard): { from: number; to: number } {
  return { from: Math.floor((shard.index * total) / shard.count), to: Math.floor(((shard.index + 1) * total) / shard.count) };
}
