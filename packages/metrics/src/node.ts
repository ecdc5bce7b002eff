// Node-only part of @phys/metrics (the `@phys/metrics/node` entry): pytorch-fid statistics read
// from and written to files, and mergeable feature statistics read from files. The byte-level .npy/.npz codecs live in the platform-neutral core.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { encodeFidStats, parseFidStats } from './npz.js';
import type { FeatureStatistics, GaussianStats } from './stats.js';
import { parseFeatureStatistics } from './stats-npz.js';

/** Reads pytorch-fid statistics from an .npz file. */
export function loadFidStats(path: string): GaussianStats {
  return parseFidStats(new Uint8Array(readFileSync(path)));
}

/** Reads mergeable statistics written by `encodeFeatureStatistics` (`phys stats`) from an .npz file. */
export function loadFeatureStatistics(path: string): FeatureStatistics {
  return parseFeatureStatistics(new Uint8Array(readFileSync(path)));
}

/**
 * Writes pytorch-fid statistics to `path` atomically: the bytes go to a temporary file that is
 * renamed into place, so an interrupted run leaves no half-written file.
 */
export function saveFidStats(path: string, stats: GaussianStats, options: { compress?: boolean } = {}): void {
  const bytes = encodeFidStats(stats, options);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
