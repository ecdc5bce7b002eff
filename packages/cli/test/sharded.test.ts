// `phys sample --seeds ... --outdir` as a subprocess on the shipped model: shards from every
// engine's environment add up to the single-process run byte for byte, a killed run resumes to the
// same files, and every sampler gives bit-identical raw samples (the .npz) whatever the batch size
// and the shard count.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpz } from '@phys/metrics';
import { samplerRegistry } from '@phys/samplers';
import { decodePng } from '../src/png.js';
import { SAMPLERS } from '../src/sample.js';

const bin = fileURLToPath(new URL('../bin/phys.js', import.meta.url));
let dir: string;

// The test's own environment may be a Slurm or torchrun job: the children get none of it.
const SHARD_VARS = /^(SLURM_|JOB_COMPLETION_INDEX$|RANK$|WORLD_SIZE$|PHYS_NUM_SHARDS$)/;
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SHARD_VARS.test(k)));
  return { ...env, ...extra };
}

function phys(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 300000, env: cleanEnv(env) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every visible file under `root` (relative path -> bytes). */
function files(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(root, p), readFileSync(p));
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

function pngs(root: string): Map<string, Buffer> {
  return new Map([...files(root)].filter(([k]) => k.endsWith('.png')));
}

/** seed -> raw float32 bytes of its sample, from the .npz files of a folder. */
function rawBySeed(root: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const [name, bytes] of files(root)) {
    if (!name.endsWith('.npz')) continue;
    const arrays = readNpz(new Uint8Array(bytes));
    const x = arrays.get('x')!;
    const seeds = arrays.get('seeds')!.data;
    const n = x.data.length / seeds.length;
    seeds.forEach((s, i) => out.set(s, Buffer.from(new Float32Array(x.data.subarray(i * n, (i + 1) * n)).buffer).toString('hex')));
  }
  return out;
}

beforeAll(() => {
  const built = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
  if (!existsSync(built)) throw new Error(`build @phys/cli first: ${built} is missing (npx turbo run build --filter=@phys/cli)`);
  dir = mkdtempSync(path.join(tmpdir(), 'phys-shard-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const base = ['sample', '--sampler', 'euler', '--steps', '4', '--quiet'];

describe('phys sample --seeds --outdir', () => {
  it('shards from --shard, Slurm arrays, srun, Kubernetes Indexed Jobs and RANK/WORLD_SIZE add up to the single-process run, byte for byte', () => {
    expect(phys([...base, '--seeds', '0-10', '--outdir', 'single', '--subdirs']).code).toBe(0);
    const single = pngs(path.join(dir, 'single'));
    expect([...single.keys()].sort()).toEqual(Array.from({ length: 11 }, (_, s) => `000000/${String(s).padStart(6, '0')}.png`));
    const forms: [string[], Record<string, string>][] = [
      [['--shard', '0/5'], {}],
      [[], { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '5' }],
      [[], { SLURM_PROCID: '2', SLURM_NTASKS: '5', SLURM_STEP_ID: '0' }],
      [['--num-shards', '5'], { JOB_COMPLETION_INDEX: '3' }],
      [[], { RANK: '4', WORLD_SIZE: '5' }],
    ];
    const seen: string[] = [];
    for (const [args, env] of forms) {
      const r = phys([...base, '--seeds', '0-10', '--outdir', 'sharded', '--subdirs', '--batch-size', '2', '--json', ...args], env);
      expect(r.code).toBe(0);
      seen.push(JSON.parse(r.stdout).seeds.shard);
    }
    expect(seen).toEqual(['0/5', '1/5', '2/5', '3/5', '4/5']);
    const union = pngs(path.join(dir, 'sharded'));
    expect([...union.keys()].sort()).toEqual([...single.keys()].sort());
    for (const [name, bytes] of single) expect(union.get(name)!.equals(bytes)).toBe(true);
    // Each file is one 28x28 grey image.
    const img = decodePng(single.get('000000/000003.png')!);
    expect([img.width, img.height, img.channels]).toEqual([28, 28, 1]);
  });

  it('resumes after a kill: only whole files are visible, and the rerun completes the same files', async () => {
    const args = [...base, '--seeds', '0-47', '--batch-size', '4', '--micro-batch', '4', '--outdir', 'killed'];
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: cleanEnv() });
    const out = path.join(dir, 'killed');
    // Kill (SIGKILL: no cleanup runs) once some images are written and others are not.
    const deadline = Date.now() + 240000;
    while (pngs(out).size < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const before = pngs(out);
    expect(before.size).toBeGreaterThanOrEqual(8);
    expect(before.size).toBeLessThan(48);
    // Every visible PNG is complete.
    for (const bytes of before.values()) expect(decodePng(bytes).width).toBe(28);
    const r = phys([...args, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.seeds.skipped).toBe(before.size);
    expect(report.seeds.written).toBe(48 - before.size);
    expect(phys([...base, '--seeds', '0-47', '--micro-batch', '4', '--outdir', 'unkilled']).code).toBe(0);
    const resumed = pngs(out);
    const clean = pngs(path.join(dir, 'unkilled'));
    expect(resumed.size).toBe(48);
    for (const [name, bytes] of clean) expect(resumed.get(name)!.equals(bytes)).toBe(true);
    // A third run finds nothing to do.
    expect(JSON.parse(phys([...args, '--json']).stdout).seeds).toMatchObject({ written: 0, skipped: 48 });
  }, 300000);

  // pfgm needs a PFGM field network (none is shipped); every denoiser sampler (the CLI's own and
  // the registry's) runs on the shipped model. The adaptive ones (one step size per batch) run
  // each seed as its own batch, so they get 3 seeds.
  const adaptive = new Set(['rk45', ...samplerRegistry.filter((e) => e.nfePerStep === 'adaptive').map((e) => e.name)]);
  const everySampler = [...SAMPLERS.filter((s) => s !== 'pfgm'), ...samplerRegistry.map((e) => e.name).filter((n) => !(SAMPLERS as readonly string[]).includes(n))];
  it.each(everySampler)('%s: raw samples are bit-identical across batch sizes and shard counts (fixed-shape micro-batches)', (sampler) => {
    const last = adaptive.has(sampler) ? 2 : 6;
    const run = (outdir: string, extra: string[]): void => {
      // Micro-batches of 8 rows (the default 64 is as invariant, and 8x the work on 7 seeds).
      const r = phys(['sample', '--sampler', sampler, '--steps', '4', '--seeds', `0-${last}`, '--outdir', outdir, '--npz', '--micro-batch', '8', '--quiet', ...extra]);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    };
    run(`${sampler}-b7`, ['--batch-size', '7']);
    run(`${sampler}-b2`, ['--batch-size', '2', '--shard', '0/2']);
    run(`${sampler}-b2`, ['--batch-size', '3', '--shard', '1/2']);
    const a = rawBySeed(path.join(dir, `${sampler}-b7`));
    const b = rawBySeed(path.join(dir, `${sampler}-b2`));
    expect([...a.keys()].sort()).toEqual(Array.from({ length: last + 1 }, (_, i) => i));
    for (const [seed, bytes] of a) expect(b.get(seed) === bytes).toBe(true);
    const pa = pngs(path.join(dir, `${sampler}-b7`));
    const pb = pngs(path.join(dir, `${sampler}-b2`));
    for (const [name, bytes] of pa) expect(pb.get(name)!.equals(bytes)).toBe(true);
  });

  it.each([
    [['--seeds', '0-3'], /--seeds needs --outdir/],
    [['--seeds', '0-3', '--outdir', 'x', '-n', '4'], /not with -n\/--count or --out/],
    [['--outdir', 'x'], /go with --seeds/],
    [['--seeds', '0-3', '--outdir', 'x', '--pg', '1'], /--pg couples the samples of a batch/],
    [['--seeds', '3-1', '--outdir', 'x'], /ends before it starts/],
    [['--seeds', '0-3', '--outdir', 'x', '--shard', '2/2'], /shard index 2 is not below/],
    [['--seeds', '0-3', '--outdir', 'x', '--micro-batch', '0'], /--micro-batch must be a positive integer/],
  ])('rejects %j with exit code 2', (args, message) => {
    const r = phys(['sample', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
