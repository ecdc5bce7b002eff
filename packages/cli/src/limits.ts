// Checks made before any work starts: negative numbers as option values, a writable --out, and the
// estimated memory of a run against the machine's free memory.
import { randomBytes } from 'node:crypto';
import { rm, stat, writeFile } from 'node:fs/promises';
import { freemem } from 'node:os';
import path from 'node:path';
import { UsageError } from './errors.js';

/**
 * Joins `--opt -5` into `--opt=-5` (and `-n -5` into `-n-5`) for options that take a value, so a negative number reaches the
 * option's own check (which names it) instead of parseArgs' "argument is ambiguous".
 */
export function joinNegativeValues(argv: readonly string[], valueOptions: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const opt = a.startsWith('--') ? a.slice(2) : a.length === 2 && a.startsWith('-') ? a.slice(1) : undefined;
    if (opt !== undefined && !a.includes('=') && valueOptions.has(opt) && next !== undefined && /^-(\d|\.\d|Infinity|NaN)/.test(next)) {
      out.push(a.startsWith('--') ? `${a}=${next}` : `${a}${next}`); // -n-5: parseArgs' inline short value
      i++;
    } else out.push(a);
  }
  return out;
}

/**
 * Throws a {@link UsageError} naming `option` unless `file` can be written: its folder exists (or
 * can be created by the run) and takes a new file, and `file` is not a folder. Checked before any
 * sampling so an unwritable --out is not found only at the end.
 */
export async function checkWritable(file: string, option: string): Promise<void> {
  const resolved = path.resolve(file);
  const info = await stat(resolved).catch(() => undefined);
  if (info?.isDirectory()) throw new UsageError(`${option} ${file} is a folder, expected a file name`);
  // The nearest existing ancestor must take a new file (writeFileAtomic creates missing folders).
  let dir = path.dirname(resolved);
  while (!(await stat(dir).catch(() => undefined))) dir = path.dirname(dir);
  const probe = path.join(dir, `.phys-write-check.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(probe, '');
  } catch (e) {
    throw new UsageError(`${option} ${file} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message} in ${dir})`);
  }
  await rm(probe, { force: true });
}

/** One term of a memory estimate, for the message. */
export interface MemoryTerm {
  readonly what: string;
  readonly bytes: number;
}

const GB = 1024 ** 3;
const gb = (b: number): string => `${(b / GB).toFixed(2)} GB`;

/**
 * Throws a {@link UsageError} when the terms add up to more than the free memory (`free`, default
 * `os.freemem()`), listing the largest and naming the override option.
 */
export function checkMemory(terms: readonly MemoryTerm[], override: string, free = freemem()): void {
  const total = terms.reduce((s, t) => s + t.bytes, 0);
  if (total <= free) return;
  const big = [...terms].sort((a, b) => b.bytes - a.bytes).filter((t) => t.bytes > 0.05 * total);
  throw new UsageError(
    `this run needs about ${gb(total)} of memory (${big.map((t) => `${t.what} ${gb(t.bytes)}`).join(', ')}), more than the ${gb(free)} free; lower the sizes or pass ${override}`,
  );
}
