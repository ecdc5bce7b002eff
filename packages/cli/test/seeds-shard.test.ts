// Seed lists, shards from every engine's environment, and the EDM file layout (no model runs).
import { seedImagePath, batchNpzPath } from '../src/outdir.js';
import { SeedSet } from '../src/seeds.js';
import { resolveShard, shardSpan } from '../src/shard.js';

describe('SeedSet', () => {
  it('parses EDM --seeds syntax, merges overlaps and keeps ranges compact', () => {
    const s = SeedSet.parse('5-9,0-2,8-12,20');
    expect(s.ranges).toEqual([
      { start: 0, end: 3 },
      { start: 5, end: 13 },
      { start: 20, end: 21 },
    ]);
    expect(s.count).toBe(3 + 8 + 1);
    expect(SeedSet.parse('0-999999999').count).toBe(1e9);
  });

  it.each(['', 'a', '3-1', '1-2-3', '-4', `0-${2 ** 32}`])('rejects --seeds %j', (text) => {
    expect(() => SeedSet.parse(text)).toThrow(/--seeds/);
  });

  it('slices by position, filters done seeds into contiguous batches that never span a gap', () => {
    const s = SeedSet.parse('0-9,100-104');
    expect([...s.slice(8, 12)]).toEqual([8, 9, 100, 101]);
    const pending = s.filter((seed) => ![2, 3, 101].includes(seed));
    expect([...pending]).toEqual([0, 1, 4, 5, 6, 7, 8, 9, 100, 102, 103, 104]);
    expect(pending.batchCount(4)).toBe(5);
    expect([...pending.batches(4)]).toEqual([
      { start: 0, end: 2 },
      { start: 4, end: 8 },
      { start: 8, end: 10 },
      { start: 100, end: 101 },
      { start: 102, end: 105 },
    ]);
  });
});

describe('resolveShard', () => {
  it.each([
    [{}, undefined, [0, 1]],
    [{ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4' }, undefined, [2, 4]],
    // --array=1-4: ids start at SLURM_ARRAY_TASK_MIN.
    [{ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' }, undefined, [3, 4]],
    // An array task running srun with 2 tasks: shards of tasks x ntasks.
    [{ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3', SLURM_PROCID: '1', SLURM_NTASKS: '2', SLURM_STEP_ID: '0' }, undefined, [3, 6]],
    [{ SLURM_PROCID: '3', SLURM_NTASKS: '8', SLURM_STEP_ID: '0' }, undefined, [3, 8]],
    // A batch script without srun is one process whatever --ntasks says.
    [{ SLURM_PROCID: '0', SLURM_NTASKS: '8' }, undefined, [0, 1]],
    [{ JOB_COMPLETION_INDEX: '5', PHYS_NUM_SHARDS: '6' }, undefined, [5, 6]],
    [{ JOB_COMPLETION_INDEX: '5' }, '7', [5, 7]],
    [{ RANK: '1', WORLD_SIZE: '2' }, undefined, [1, 2]],
  ] as const)('env %j, --num-shards %j -> shard %j', (env, numShards, [index, count]) => {
    const s = resolveShard(undefined, numShards, env);
    expect([s.index, s.count]).toEqual([index, count]);
  });

  it('--shard overrides the environment; bad values are usage errors naming the variable', () => {
    expect(resolveShard('1/3', undefined, { RANK: '0', WORLD_SIZE: '2' })).toMatchObject({ index: 1, count: 3, source: '--shard' });
    expect(() => resolveShard('3/3', undefined, {})).toThrow(/shard index 3 is not below the shard count 3/);
    expect(() => resolveShard('x', undefined, {})).toThrow(/--shard must be i\/n/);
    expect(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '1' })).toThrow(/--num-shards or PHYS_NUM_SHARDS/);
    expect(() => resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '1' })).toThrow(/SLURM_ARRAY_TASK_COUNT/);
    expect(() => resolveShard(undefined, undefined, { RANK: 'a', WORLD_SIZE: '2' })).toThrow(/RANK must be an integer/);
    expect(() => resolveShard(undefined, undefined, { RANK: '2', WORLD_SIZE: '2' })).toThrow(/not below/);
  });

  it('shard spans are contiguous, disjoint, cover everything and differ in size by at most one', () => {
    for (const total of [0, 1, 7, 50000]) {
      for (const count of [1, 3, 4, 8]) {
        let next = 0;
        const sizes: number[] = [];
        for (let index = 0; index < count; index++) {
          const { from, to } = shardSpan(total, { index, count, source: 'test' });
          expect(from).toBe(next);
          next = to;
          sizes.push(to - from);
        }
        expect(next).toBe(total);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('outdir layout', () => {
  it("names files as NVlabs/edm's generate.py does", () => {
    expect(seedImagePath('out', 7, false)).toBe('out/000007.png');
    expect(seedImagePath('out', 49999, true)).toBe('out/049000/049999.png');
    expect(seedImagePath('out', 1234567, true)).toBe('out/1234000/1234567.png');
    expect(batchNpzPath('out', 64, 128)).toBe('out/samples-000064-000127.npz');
  });
});
