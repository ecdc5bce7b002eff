import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Where `phys sample --outdir` puts seed `seed`: `{seed:06d}.png` (NVlabs/edm generate.py's
 * layout), inside `{seed - seed % 1000:06d}/` with `subdirs`.
 */
export function seedImagePath(outdir: string, seed: number, subdirs: boolean): string {
  const name = `${String(seed).padStart(6, '0')}.png`;
  return subdirs ? path.join(outdir, String(seed - (seed % 1000)).padStart(6, '0'), name) : path.join(outdir, name);
}

/** Where the float32 `.npz` of the batch of seeds `[start, end)` goes: `samples-{start:06d}-{end-1:06d}.npz`. */
export function batchNpzPath(outdir: string, start: number, end: number): string {
  return path.join(outdir, `samples-${String(start).padStart(6, '0')}-${String(end - 1).padStart(6, '0')}.npz`);
}

/**
 * True when seed `seed` is already written. Files appear only by an atomic rename of a complete
 * temporary file, so an existing name is a finished image; a run killed mid-write leaves at most a
 * hidden `.{name}.{random}.tmp` beside it, which no reader lists.
 */
export function seedWritten(outdir: string, seed: number, subdirs: boolean): boolean {
  return existsSync(seedImagePath(outdir, seed, subdirs));
}
