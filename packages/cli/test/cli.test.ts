// The `phys` command tested as a subprocess (the built dist/bin.js): exit codes, one-line errors,
// the PNG, the JSON report and clean interruption.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePng } from '../src/png.js';

const bin = fileURLToPath(new URL('../bin/phys.js', import.meta.url));
let dir: string;

function phys(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const built = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
  if (!existsSync(built)) throw new Error(`build @phys/cli first: ${built} is missing (npx turbo run build --filter=@phys/cli)`);
  dir = mkdtempSync(path.join(tmpdir(), 'phys-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('phys', () => {
  it('prints usage with --help and exits 0; no command exits 2', () => {
    expect(phys('--help').code).toBe(0);
    expect(phys('sample', '--help').stdout).toContain('--sampler');
    expect(phys().code).toBe(2);
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['sample', '--sampler', 'nope'], /unknown sampler 'nope'/],
    [['sample', '--steps=-3'], /--steps must be a positive integer, got '-3'/],
    [['sample', '--steps', '-3'], /--steps/],
    [['sample', '--count', '0'], /--count must be a positive integer/],
    [['sample', '--bogus'], /Unknown option '--bogus'/],
    [['sample', '--preset', 'nope'], /unknown Restart preset 'nope'/],
  ])('rejects bad input %j with one line and exit code 2', (args, message) => {
    const r = phys(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a missing model file in one line with exit code 1', () => {
    const r = phys('sample', '--model', 'missing.onnx', '--quiet');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/model file not found: missing.onnx/);
  });

  it('samples a PNG grid and a JSON report', () => {
    const r = phys('sample', '--sampler', 'heun', '--steps', '6', '-n', '5', '--batch-size', '3', '--out', 'grid.png', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ sampler: 'heun', count: 5, batchSize: 3, steps: 6, nfePerBatch: 11, kernel: expect.stringContaining('pfgmpp') });
    expect(report.stepTimings).toHaveLength(2 * 6);
    expect(report.wallSeconds).toBeGreaterThan(0);
    const png = decodePng(readFileSync(path.join(dir, 'grid.png')));
    // 3 x 2 tiles of 28 px with 2 px padding.
    expect([png.width, png.height]).toEqual([3 * 28 + 4 * 2, 2 * 28 + 3 * 2]);
    expect(JSON.parse(png.text!['phys.grid']!)).toMatchObject({ count: 5, cols: 3, width: 28, height: 28 });
  });

  it('lists every sampler with --list-samplers and runs any of them by name', () => {
    const list = phys('sample', '--list-samplers');
    expect(list.code).toBe(0);
    for (const name of ['euler-ancestral', 'dpm2', 'lms', 'dpm-fast', 'dpm-adaptive', 'dpmpp-2s-ancestral', 'dpmpp-sde', 'dpmpp-2m-sde', 'dpmpp-3m-sde', 'unipc-bh1', 'unipc-bh2']) {
      expect(list.stdout).toMatch(new RegExp(`^${name} +order \\d +(deterministic|stochastic)`, 'm'));
    }
    // The CLI's own samplers are listed once each, with the same columns.
    for (const name of ['restart', 'heun', 'euler', 'rk45', 'dpm', 'edm-sde', 'pfgm']) {
      expect(list.stdout.match(new RegExp(`^${name} +order \\d +(deterministic|stochastic)`, 'gm'))).toHaveLength(1);
    }
    const r = phys('sample', '--sampler', 'dpmpp-2m-sde', '--steps', '4', '-n', '2', '--out', 'sde.png', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ sampler: 'dpmpp-2m-sde', nfePerBatch: 4 });
  });

  it('applies particle guidance with --pg', () => {
    const r = phys('sample', '--sampler', 'euler', '--steps', '4', '-n', '4', '--pg', '2', '--out', 'pg.png', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ particleGuidance: 2, nfePerBatch: 4 });
    expect(phys('sample', '--pg', 'x').stderr).toMatch(/--pg must be a positive number/);
  });

  it('evaluates a grid against the shipped reference statistics', () => {
    expect(phys('sample', '--sampler', 'euler', '--steps', '4', '-n', '12', '--out', 'e.png', '--quiet').code).toBe(0);
    const r = phys('eval', '--samples', 'e.png', '--out', 'report.json', '--quiet');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(report.inputs.samples).toBe('e.png');
    expect(report.samples).toBe(12);
    expect(report.extractor).toBe('fashion-classifier');
    expect(Number.isFinite(report.metrics['FD_fashion-classifier'].value)).toBe(true);
    expect(report.metrics['IS_fashion-classifier'].mean).toBeGreaterThanOrEqual(1);
    expect(report.inBatchSimilarity).toBeGreaterThan(-1);
  });

  it('leaves no output behind when interrupted', async () => {
    const child = spawn(process.execPath, [bin, 'sample', '--sampler', 'restart', '-n', '64', '--out', 'interrupted.png', '--quiet'], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted; no output written/);
    expect(readdirSync(dir).filter((f) => f.includes('interrupted'))).toEqual([]);
  });
});
