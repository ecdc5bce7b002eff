// The CLI's fault cases of issue 19, with fixtures made here: corrupt, truncated and hostile PNG
// files, bad grid records, a folder as --model, a corrupt .npz reference, negative numbers, an
// unwritable --out. Each must end with one line on stderr and a non-zero exit, never a stack trace,
// and a valid small run must still work (eval on 5 samples picks splits that fit).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { Tensor } from '@phys/tensor';
import { tileGrid } from '@phys/metrics';
import { chunk, encodePng } from '../src/png.js';
import { decodePng, decodePngAsync } from '../src/png-decode.js';

const bin = fileURLToPath(new URL('../bin/phys.js', import.meta.url));
let dir: string;

function phys(...args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, stderr: r.stderr };
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A gray PNG with a valid structure whose IHDR says width x height and whose IDAT inflates to `raw`. */
function png(width: number, height: number, raw: Uint8Array, extra: Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), ...extra, chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** A grid PNG of 5 samples as phys sample writes it, with its phys.grid record replaced by `record`. */
function grid(record?: string): Buffer {
  const x = Tensor.zeros([5, 1, 28, 28]);
  for (let i = 0; i < x.size; i++) x.data[i] = Math.sin(i) * 0.9;
  const img = tileGrid(x, [-1, 1]);
  return encodePng(record === undefined ? img : { ...img, text: { 'phys.grid': record } });
}

beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../dist/bin.js', import.meta.url)))) throw new Error('build @phys/cli first (npx turbo run build --filter=@phys/cli)');
  dir = mkdtempSync(path.join(tmpdir(), 'phys-faults-'));
  const good = grid();
  const files: Record<string, Buffer> = {
    'huge.png': png(60000, 60000, new Uint8Array(0)).subarray(0, 67),
    'short.png': png(28, 28, new Uint8Array(29 * 10)),
    'crc.png': (() => {
      const b = Buffer.from(good);
      b[45] = b[45]! ^ 0xff; // a byte inside the tEXt body (chunk at 33, body from 41): its CRC no longer matches
      return b;
    })(),
    'truncated-header.png': good.subarray(0, 20),
    'truncated.png': good.subarray(0, good.length - 30),
    'grid-json.png': grid('{"count": 5, "cols":'),
    'grid-negative.png': grid(JSON.stringify({ count: -5, cols: 3, channels: 1, height: 28, width: 28, pad: 2 })),
    'grid-cols0.png': grid(JSON.stringify({ count: 5, cols: 0, channels: 1, height: 28, width: 28, pad: 2 })),
    'bad-filter.png': png(2, 1, Uint8Array.from([9, 0, 0])),
    'not-png.png': Buffer.from('hello, this is not an image'),
    'good.png': good,
    'corrupt.npz': Buffer.from('PK\u0003\u0004 this zip is cut short'),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), bytes);
  mkdirSync(path.join(dir, 'model-folder'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const oneLine = (stderr: string): string[] => stderr.trim().split('\n');

describe('phys eval on corrupt files', () => {
  it.each([
    ['huge.png', /huge\.png: (image of 60000x60000 = 3600000000 pixels exceeds the limit|chunk IHDR .* truncated|truncated)/],
    ['short.png', /short\.png: image data inflate to 290 bytes, expected 812/],
    ['crc.png', /crc\.png: CRC mismatch in chunk/],
    ['truncated-header.png', /truncated-header\.png: .*truncated/],
    ['truncated.png', /truncated\.png: .*truncated/],
    ['grid-json.png', /phys\.grid: expected a JSON layout record/],
    ['grid-negative.png', /phys\.grid\.count: expected an integer in \[1, /],
    ['grid-cols0.png', /phys\.grid\.cols: expected an integer in \[1, /],
    ['bad-filter.png', /bad-filter\.png: row 0 has filter type 9/],
    ['not-png.png', /not-png\.png: not a PNG file/],
  ])('%s: one line, non-zero exit', (file, message) => {
    const r = phys('eval', '--samples', file, '--quiet');
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('a corrupt .npz reference: one line, non-zero exit', () => {
    const r = phys('eval', '--samples', 'good.png', '--reference', 'corrupt.npz', '--quiet');
    expect(r.code).not.toBe(0);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('evaluates 5 samples with classifier-score splits that fit (was: splits must be in [1, 8])', () => {
    const r = phys('eval', '--samples', 'good.png', '--out', 'report.json', '--quiet');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(report.metrics['IS_fashion-classifier'].splits).toBe(5);
  });

  it('the pixel limit is an option', () => {
    const r = phys('eval', '--samples', 'good.png', '--max-pixels', '100', '--quiet');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/exceeds the limit of 100 \(raise it with --max-pixels\)/);
  });
});

describe('phys sample refuses before work', () => {
  it.each([
    [['--count', '-5'], /--count must be a positive integer, got '-5'/],
    [['-n', '-5'], /--count must be a positive integer, got '-5'/],
    [['--seed', '-1'], /--seed must be a non-negative integer, got '-1'/],
    [['--batch-size', '-64'], /--batch-size must be a positive integer, got '-64'/],
    [['--restart', '{"0":[3,2]}'], /--restart is not a Restart configuration/],
    [['-n', '1e9', '--sampler', 'euler'], /needs about .* GB of memory .* pass --ignore-memory-check/],
    [['--restart', '{"0":[1e9,1,0.14,0.3]}'], /needs about .* GB of memory .* pass --ignore-memory-check/],
  ])('%j: one line naming the option, exit 2', (args, message) => {
    const r = phys('sample', '--quiet', ...args);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('a folder as --model: one line, exit 1 (was a bare EISDIR)', () => {
    const r = phys('sample', '--model', 'model-folder', '--quiet');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model file is not a file: model-folder/);
  });

  it('an unwritable --out is found before sampling', () => {
    const locked = path.join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    // root may write anyway: then the folder case below still has to hold.
    const r = phys('sample', '--out', path.join('locked', 'x.png'), '--quiet', '--sampler', 'euler', '--steps', '2', '-n', '1');
    if (r.code !== 0) expect(r.stderr).toMatch(/--out locked\/x\.png is not writable/);
    const folder = phys('sample', '--out', 'model-folder', '--quiet');
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/--out must name a \.png file|--out model-folder is a folder/);
  });
});

describe('decodePng', () => {
  it('reads what encodePng writes, sync and async, and stops on an aborted signal', async () => {
    const bytes = grid();
    const a = decodePng(bytes);
    const b = await decodePngAsync(bytes);
    expect(b.data).toEqual(a.data);
    const ac = new AbortController();
    ac.abort();
    await expect(decodePngAsync(bytes, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
