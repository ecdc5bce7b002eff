// Node only: the header of an ONNX file read from disk (behind the Node entry; the browser entry
// reads headers from fetched bytes).
import { open } from 'node:fs/promises';
import { readModelHeaderAt, type OnnxModelHeader } from './protobuf.js';

/**
 * Reads the same header as `readModelHeader` from a file without loading it: top-level
 * fields are visited with positional reads and the graph (weights included) is seeked over, so a
 * large model costs a few small reads.
 */
export async function readModelHeaderFromFile(path: string): Promise<OnnxModelHeader> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    return await readModelHeaderAt(async (into, position) => (await fh.read(into, 0, into.length, position)).bytesRead, size, path);
  } finally {
    await fh.close();
  }
}
