import { NEXT, claimChunks, createControlBlock, readJob, runChunk, writeJob, type Job } from '../src/wasm/jobs.js';

// The job protocol shared by the calling thread and the kernel worker (src/wasm/jobs.ts): a job
// written into the control block reads back the same, and claiming chunks from the shared counter
// runs every unit exactly once with the argument arithmetic of runChunk.
describe('kernel jobs', () => {
  const job: Job = {
    kernel: 'k',
    calls: [[1000, 2000, 3000, 7], [5000, 6000, 7000, 7]],
    units: 7,
    unitStride: [16, 0, 8, 0],
    chunkStride: [0, 128, 0, 0],
    countArg: 3,
    countScale: 2,
    work: 0,
  };

  it('round-trips a job through the control block', () => {
    const c = createControlBlock();
    writeJob(c, job, 0, 3);
    const { job: back, grain } = readJob(c, ['k']);
    expect(grain).toBe(3);
    expect(back).toEqual({ ...job, work: 0 });
  });

  it('runs every unit exactly once, moving pointers by unit and chunk', () => {
    const c = createControlBlock();
    writeJob(c, job, 0, 3);
    Atomics.store(c, NEXT, 0);
    const seen: number[][] = [];
    const ran = claimChunks(c, (...args) => seen.push(args), job, 3);
    expect(ran).toBe(3); // chunks of 3, 3 and 1 units
    // chunk 1 starts at unit 3: pointer 0 moves by 3 * 16, pointer 1 by chunk index 1 * 128, count 3 units * 2
    expect(seen[2]).toEqual([1000 + 48, 2000 + 128, 3000 + 24, 6]);
    expect(seen[5]).toEqual([5000 + 96, 6000 + 256, 7000 + 48, 2]);
    expect(seen).toHaveLength(6);
    expect(claimChunks(c, () => undefined, job, 3)).toBe(0); // nothing left to claim
  });

  it('makes one call per unit when countArg is -1', () => {
    const seen: number[][] = [];
    runChunk((...args) => seen.push(args), { kernel: 'k', calls: [[10, 20]], units: 4, unitStride: [1, 2], countArg: -1, work: 0 }, 0, 1, 2);
    expect(seen).toEqual([[11, 22], [12, 24]]);
  });
});
