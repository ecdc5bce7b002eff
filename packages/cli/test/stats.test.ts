// `phys stats` and streaming `phys eval` as subprocesses: shard statistics merge to the one-shot
// statistics of the whole folder (1e-12 relative), and eval over merged shards equals eval over
// the folder, whatever the streaming batch size.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpz } from '@phys/metrics';
import { maxRelativeError } from '../../../test-support/golden.js';

const bin = fileURLToPath(new URL('../bin/phys.js', import.meta.url));
let dir: string;

function phys(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 300000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(...args: string[]): string {
  const r = phys(...args);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  return r.stdout;
}

const npz = (file: string) => readNpz(new Uint8Array(readFileSync(path.join(dir, file))));

beforeAll(() => {
  const built = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
  if (!existsSync(built)) throw new Error(`build @phys/cli first: ${built} is missing (npx turbo run build --filter=@phys/cli)`);
  dir = mkdtempSync(path.join(tmpdir(), 'phys-stats-'));
  // 3 shards of 150 seeds (more images than the 119 feature dimensions) in sub-folders of 1000.
  for (let i = 0; i < 3; i++) ok('sample', '--sampler', 'euler', '--steps', '2', '--seeds', '0-149', '--shard', `${i}/3`, '--outdir', `shard${i}`, '--subdirs', '--quiet');
  for (let i = 0; i < 3; i++) cpSync(path.join(dir, `shard${i}`), path.join(dir, 'all'), { recursive: true });
}, 600000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('phys stats / phys eval --stats', () => {
  it('merged shard statistics equal the one-shot statistics of the folder to 1e-12 relative', () => {
    for (let i = 0; i < 3; i++) ok('stats', `shard${i}`, '--out', `s${i}.npz`, '--quiet');
    ok('stats', 'all', '--out', 'all.npz', '--batch-size', '64', '--quiet');
    ok('stats', '--merge', 's0.npz', 's1.npz', 's2.npz', '--out', 'merged.npz');
    const one = npz('all.npz');
    const merged = npz('merged.npz');
    expect(Array.from(one.get('count')!.data)).toEqual([150]);
    expect(Array.from(merged.get('count')!.data)).toEqual([150]);
    expect(npz('s1.npz').get('count')!.data[0]).toBe(50);
    // pytorch-fid's layout: mu (d,), sigma (d, d), float64.
    const d = one.get('mu')!.shape[0]!;
    expect(one.get('sigma')!.shape).toEqual([d, d]);
    expect(one.get('sigma')!.dtype).toBe('float64');
    expect(maxRelativeError(merged.get('mu')!.data, one.get('mu')!.data)).toBeLessThan(1e-12);
    expect(maxRelativeError(merged.get('sigma')!.data, one.get('sigma')!.data)).toBeLessThan(1e-12);
  });

  it('eval --stats over shards equals the streamed eval of the folder; the batch size does not matter', () => {
    const fd = (out: string): number => JSON.parse(out).metrics['FD_fashion-classifier'].value as number;
    const shards = JSON.parse(ok('eval', '--stats', 's0.npz', 's1.npz', 's2.npz', '--quiet'));
    expect(shards.samples).toBe(150);
    const folder = ok('eval', '--samples', 'all', '--quiet');
    const small = ok('eval', '--samples', 'all', '--batch-size', '7', '--quiet');
    expect(Math.abs(fd(JSON.stringify(shards)) - fd(folder)) / fd(folder)).toBeLessThan(1e-10);
    // The classifier runs fixed-shape calls: features, hence the statistics, do not depend on the batch.
    expect(Math.abs(fd(small) - fd(folder)) / fd(folder)).toBeLessThan(1e-12);
    expect(JSON.parse(folder).metrics['IS_fashion-classifier'].mean).toBeGreaterThanOrEqual(1);
  });

  it.each([
    [['stats', 'all'], /--out <file.npz> is required/],
    [['stats', 'nowhere', '--out', 'x.npz'], /no such folder: nowhere/],
    [['stats', '--merge', '--out', 'x.npz'], /no statistics files to merge/],
    [['eval', '--stats', 'missing.npz'], /statistics file not found: missing.npz/],
    [['eval', '--samples', 'all', 'extra'], /unexpected argument 'extra'/],
  ])('rejects %j with one line', (args, message) => {
    const r = phys(...args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
