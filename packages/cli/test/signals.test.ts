// Interruption of the `phys` process at the worst moments: a signal that lands while the last
// model call runs (onnxruntime runs on the JS thread, so the handler runs only after the call), or
// right after it; SIGTERM to npx alone. Each must exit 130 and leave no output (nor a temp file).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bin = fileURLToPath(new URL('../bin/phys.js', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const onnxPackage = fileURLToPath(new URL('../../onnx/package.json', import.meta.url));
let dir: string;
let preload: string;

// Loaded with --import into the phys process: announces its pid and each onnxruntime call on
// stderr, and blocks the JS thread for BLOCK_MS around call BLOCK_RUN ('before' the call starts or
// 'after' it returned), like a long model call does.
const PRELOAD = `
import { createRequire } from 'node:module';
import { writeSync } from 'node:fs';
if (/phys(\\.js)?$/.test(process.argv[1] ?? '')) {
  const ort = createRequire(process.env.PHYS_TEST_ONNX_PACKAGE)('onnxruntime-node');
  const run = ort.InferenceSession.prototype.run;
  const block = () => { const end = Date.now() + Number(process.env.PHYS_TEST_BLOCK_MS); while (Date.now() < end); };
  let calls = 0;
  writeSync(2, '[pid ' + process.pid + ']\\n');
  ort.InferenceSession.prototype.run = function (...args) {
    const n = ++calls;
    writeSync(2, '[ort-run ' + n + ']\\n');
    const blocking = n === Number(process.env.PHYS_TEST_BLOCK_RUN);
    if (blocking && process.env.PHYS_TEST_BLOCK_WHEN === 'before') block();
    const out = run.apply(this, args);
    return blocking && process.env.PHYS_TEST_BLOCK_WHEN === 'after' ? out.then((r) => { block(); return r; }) : out;
  };
}
`;

beforeAll(() => {
  const built = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
  if (!existsSync(built)) throw new Error(`build @phys/cli first: ${built} is missing (npx turbo run build --filter=@phys/cli)`);
  dir = mkdtempSync(path.join(tmpdir(), 'phys-signals-'));
  preload = path.join(dir, 'preload.mjs');
  writeFileSync(preload, PRELOAD);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// Euler with --steps 2 makes exactly two model calls on one batch; call 2 is the last one.
const SAMPLE = ['sample', '--sampler', 'euler', '--steps', '2', '-n', '4', '--batch-size', '4', '--quiet'];

function start(command: string, args: string[], when: 'before' | 'after', cwd: string): ChildProcess {
  return spawn(command, args, {
    cwd,
    env: {
      ...process.env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(preload).href}`.trim(),
      PHYS_TEST_ONNX_PACKAGE: onnxPackage,
      PHYS_TEST_BLOCK_RUN: '2',
      PHYS_TEST_BLOCK_WHEN: when,
      PHYS_TEST_BLOCK_MS: '3000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the child's stderr so far once it contains `marker`. */
function waitFor(child: ChildProcess, marker: RegExp, text: { stderr: string }): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const m = text.stderr.match(marker);
      if (m) {
        child.stderr!.off('data', check);
        resolve(m);
      }
    };
    child.stderr!.on('data', check);
    child.on('close', () => {
      reject(new Error(`exited before ${String(marker)}: ${text.stderr}`));
    });
    check();
  });
}

function collect(child: ChildProcess): { stderr: string } {
  const text = { stderr: '' };
  child.stderr!.on('data', (d: Buffer) => (text.stderr += d.toString()));
  return text;
}

const exited = (child: ChildProcess): Promise<number | null> => new Promise((resolve) => child.on('close', resolve));

describe('phys interrupted during the last model call', () => {
  it.each([
    ['SIGINT', 'before'],
    ['SIGINT', 'after'],
    ['SIGTERM', 'before'],
    ['SIGTERM', 'after'],
  ] as const)('%s with the JS thread blocked %s the last call: exit 130, nothing written', async (signal, when) => {
    const out = `last-${signal}-${when}.png`;
    const child = start(process.execPath, [bin, ...SAMPLE, '--out', out], when, dir);
    const text = collect(child);
    const code = exited(child);
    await waitFor(child, /\[ort-run 2\]/, text);
    child.kill(signal);
    expect(await code).toBe(130);
    expect(text.stderr).toMatch(/interrupted; no output written/);
    expect(readdirSync(dir).filter((f) => f.includes(`last-${signal}-${when}`))).toEqual([]);
  });

  it('completes and writes the PNG when not interrupted (the preload alone changes nothing)', async () => {
    const child = start(process.execPath, [bin, ...SAMPLE, '--out', 'whole.png'], 'after', dir);
    collect(child);
    expect(await exited(child)).toBe(0);
    expect(existsSync(path.join(dir, 'whole.png'))).toBe(true);
  });

  it('stops when npx alone gets SIGTERM (npx does not pass it on)', async () => {
    const out = path.join(dir, 'npx.png');
    const child = start('npm', ['exec', '--no', '--', 'phys', ...SAMPLE, '--out', out], 'before', repo);
    const text = collect(child);
    const [, pid] = await waitFor(child, /\[pid (\d+)\]/, text);
    await waitFor(child, /\[ort-run 2\]/, text);
    child.kill('SIGTERM'); // npm only; the phys process is its grandchild (npm -> sh -c -> node)
    await exited(child);
    // The phys process must end by itself and write nothing.
    const alive = (): boolean => {
      try {
        process.kill(Number(pid), 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive()) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(dir).filter((f) => f.includes('npx'))).toEqual([]);
  });
});
