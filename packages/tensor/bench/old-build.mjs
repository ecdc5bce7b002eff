// Builds @phys/tensor as of an older commit (default: 1320d99, the last one with the run-time
// assembled kernels; BENCH_OLD_REF=main compares with the main branch) into
// node_modules/.cache/phys-bench-old/<ref>/ and returns the URL of its entry, so that
// bench/fast-path.mjs can time the old WebAssembly backend next to the current one in the same
// run. Uses `git archive` (the working tree is not touched), the repository's TypeScript compiler
// and, for builds with AssemblyScript kernels, its asc; the build is cached per commit.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The entry (file URL) of the old build of `ref`, building it first if needed. */
export function oldTensorBuild(ref) {
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).trim();
  const dir = path.join(root, 'node_modules/.cache/phys-bench-old', sha);
  const entry = path.join(dir, 'packages/tensor/dist/index.js');
  if (!existsSync(entry)) {
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', sha, 'packages/tensor', 'tsconfig.base.json'], { cwd: root, maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'packages/tensor/tsconfig.build.json')], { stdio: 'inherit' });
    // Builds with AssemblyScript kernels (asconfig.json) compile them as their build:wasm script does.
    const pkg = path.join(dir, 'packages/tensor');
    if (existsSync(path.join(pkg, 'asconfig.json'))) {
      for (const target of ['plain', 'shared']) {
        execFileSync(process.execPath, [path.join(root, 'node_modules/assemblyscript/bin/asc.js'), 'assembly/index.ts', '--config', 'asconfig.json', '--target', target], { cwd: pkg, stdio: 'inherit' });
      }
    }
  }
  return { sha, url: pathToFileURL(entry).href };
}
