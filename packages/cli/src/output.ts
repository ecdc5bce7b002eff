import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { registerOutput } from './signals.js';

/**
 * Writes `data` to `file` atomically: a temporary file in the same folder, then a rename, so an
 * interrupted or failed run never leaves a half-written output behind. With a `signal`, an abort
 * before the rename removes the temporary file and one during it removes the output; either way
 * the call rejects with the signal's reason. The file is registered (`registerOutput`) so an
 * interruption after the write removes it too.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string, signal?: AbortSignal): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data);
    signal?.throwIfAborted();
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  registerOutput(path.resolve(file));
  if (signal?.aborted) {
    await rm(file, { force: true });
    signal.throwIfAborted();
  }
}
