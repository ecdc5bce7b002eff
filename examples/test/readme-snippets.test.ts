// Every code block of the repository's READMEs (README.md and packages/*/README.md) as a test.
// TypeScript blocks are typechecked together against the built packages (dist/*.d.ts, what users
// get) and run with node, each as its own ES module, unless the fence says `ts typecheck-only`
// (blocks that need a model file of the reader's own); sh blocks must parse (`bash -n`); python and
// text blocks are not checked here (python needs torch). Every block names its language.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Inside the repository, so that `@phys/*` resolves through node_modules to the workspaces' dist. */
const outDir = path.join(root, 'examples/dist/readme-snippets');
const LANGUAGES = new Set(['ts', 'sh', 'python', 'text']);

interface Block {
  /** `packages/x/README.md:12`: the readme and the line of the opening fence. */
  readonly where: string;
  readonly lang: string;
  readonly flags: readonly string[];
  readonly code: string;
  /** The file the block is written to (TypeScript blocks). */
  readonly file: string;
}

function readmes(): string[] {
  const pkgs = readdirSync(path.join(root, 'packages')).sort().map((p) => `packages/${p}/README.md`);
  return ['README.md', ...pkgs].filter((f) => existsSync(path.join(root, f)));
}

function extract(): Block[] {
  const blocks: Block[] = [];
  for (const readme of readmes()) {
    const lines = readFileSync(path.join(root, readme), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(.*)$/.exec(lines[i]!);
      if (!open) continue;
      const [lang = '', ...flags] = open[1]!.trim().split(/\s+/);
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
      const name = `${readme.replace(/\/README\.md$|\.md$/, '').replace(/\//g, '-')}-L${start + 1}`;
      blocks.push({ where: `${readme}:${start + 1}`, lang, flags, code: `${body.join('\n')}\n`, file: path.join(outDir, `${name}.ts`) });
    }
  }
  return blocks;
}

const blocks = extract();
const tsBlocks = blocks.filter((b) => b.lang === 'ts');
const runnable = tsBlocks.filter((b) => !b.flags.includes('typecheck-only'));

beforeAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const b of tsBlocks) writeFileSync(b.file, b.code);
});

describe('README code blocks', () => {
  it('are found, and each names a known language', () => {
    expect(tsBlocks.length).toBeGreaterThanOrEqual(10);
    expect(blocks.filter((b) => !LANGUAGES.has(b.lang)).map((b) => `${b.where} '${b.lang}'`)).toEqual([]);
  });

  it('typecheck against the built packages', () => {
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts'],
      strict: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    };
    const program = ts.createProgram(
      tsBlocks.map((b) => b.file),
      options,
    );
    const where = new Map(tsBlocks.map((b) => [path.resolve(b.file), b.where]));
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return text;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const at = where.get(path.resolve(d.file.fileName));
      // The block's first code line is the line after the fence.
      return at ? `${at.replace(/:(\d+)$/, (_, n: string) => `:${Number(n) + line + 1}`)}: ${text}` : `${d.file.fileName}: ${text}`;
    });
    expect(problems).toEqual([]);
  });

  it.each(runnable.map((b) => [b.where, b] as const))('%s runs', (_where, b) => {
    const js = ts.transpileModule(b.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const file = b.file.replace(/\.ts$/, '.mjs');
    writeFileSync(file, js);
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const run = spawnSync(process.execPath, [file], { cwd: outDir, env, encoding: 'utf8', timeout: 100_000 });
    if (run.status !== 0) throw new Error(`${b.where} exited ${run.status} (${run.signal ?? 'no signal'}):\n${run.stderr}`);
  });

  it.each(blocks.filter((b) => b.lang === 'sh').map((b) => [b.where, b] as const))('%s parses as sh', (_where, b) => {
    const run = spawnSync('bash', ['-n'], { input: b.code, encoding: 'utf8' });
    expect([b.where, run.status, run.stderr]).toEqual([b.where, 0, '']);
  });
});
