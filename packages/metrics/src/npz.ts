// NumPy .npy / .npz encoding and decoding (the format of pytorch-fid's reference statistics), on
// bytes only: platform-neutral (deflate by fflate, plain JavaScript). Files: `@phys/metrics/node`.
import { deflateSync, inflateSync } from 'fflate';
import { ValueError, assertFinite } from '@phys/tensor';
import type { GaussianStats } from './stats.js';

/** A numeric array read from a .npy file, in C (row-major) order. */
export interface NpyArray {
  readonly data: Float64Array | Float32Array;
  readonly shape: number[];
  readonly dtype: 'float32' | 'float64';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Parses a .npy file (format versions 1.0, 2.0 and 3.0; little- or big-endian float32/float64;
 * C or Fortran order). The result is always in C order.
 */
export function parseNpy(bytes: Uint8Array, argument = 'npy'): NpyArray {
  for (let i = 0; i < 6; i++) if (bytes[i] !== MAGIC[i]) throw new ValueError(argument, 'bad magic', 'a .npy file (\\x93NUMPY)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new ValueError(`${argument} version`, major, '1, 2 or 3');
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new ValueError(`${argument} header`, header, "a dict with 'descr', 'fortran_order' and 'shape'");
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !(Number.isInteger(d) && d >= 0))) throw new ValueError(`${argument} shape`, shapeText, 'non-negative integers');
  const m = /^([<>|=])f([48])$/.exec(descr);
  if (!m) throw new ValueError(`${argument} descr`, descr, "'<f8', '>f8', '<f4' or '>f4'");
  const little = m[1] !== '>';
  const width = Number(m[2]);
  const size = shape.reduce((a, b) => a * b, 1);
  const off = start + headerLen;
  if (bytes.byteLength - off < size * width) throw new ValueError(argument, bytes.byteLength - off, `${size * width} data bytes for shape (${shape.join(', ')})`);
  const raw = width === 8 ? new Float64Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) raw[i] = width === 8 ? view.getFloat64(off + 8 * i, little) : view.getFloat32(off + 4 * i, little);
  const data = fortran === 'True' && shape.length > 1 ? fortranToC(raw, shape) : raw;
  return { data, shape, dtype: width === 8 ? 'float64' : 'float32' };
}

function fortranToC<T extends Float64Array | Float32Array>(src: T, shape: number[]): T {
  const out = src.slice() as T;
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  // Walk C order; compute the Fortran offset sum_k idx[k] * prod(shape[0..k)).
  for (let c = 0; c < src.length; c++) {
    let f = 0;
    let stride = 1;
    for (let k = 0; k < nd; k++) {
      f += idx[k]! * stride;
      stride *= shape[k]!;
    }
    out[c] = src[f]!;
    for (let k = nd - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** Encodes a C-order float32/float64 array as a .npy (version 1.0, little-endian). */
export function encodeNpy(data: Float64Array | Float32Array, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new ValueError('data', data.length, `${size} values for shape (${shape.join(', ')})`);
  const descr = data instanceof Float64Array ? '<f8' : '<f4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const width = data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(10 + header.length + size * width);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const off = 10 + header.length;
  for (let i = 0; i < size; i++) {
    if (width === 8) view.setFloat64(off + 8 * i, data[i]!, true);
    else view.setFloat32(off + 4 * i, data[i]!, true);
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as zip uses). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Reads every member of a .npz archive (a zip of .npy files, stored or deflated, zip64 extras
 * allowed), keyed by name without the `.npy` suffix. CRCs are verified.
 */
export function readNpz(bytes: Uint8Array): Map<string, NpyArray> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ValueError('npz', 'no end-of-central-directory record', 'a zip archive (.npz)');
  let entries = view.getUint16(eocd + 10, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || entries === 0xffff) {
    // Zip64 end-of-central-directory locator precedes the record.
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== 0x07064b50) throw new ValueError('npz', 'missing zip64 locator', 'a valid zip64 archive');
    const z64 = Number(view.getBigUint64(loc + 8, true));
    entries = Number(view.getBigUint64(z64 + 32, true));
    cdOffset = Number(view.getBigUint64(z64 + 48, true));
  }
  const out = new Map<string, NpyArray>();
  let p = cdOffset;
  for (let e = 0; e < entries; e++) {
    if (view.getUint32(p, true) !== 0x02014b50) throw new ValueError('npz', `bad central directory entry ${e}`, 'a valid zip archive');
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let csize = view.getUint32(p + 20, true);
    let usize = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let local = view.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extended information (header id 1): the fields that are 0xFFFFFFFF, in order.
    for (let x = p + 46 + nameLen; x < p + 46 + nameLen + extraLen; ) {
      const id = view.getUint16(x, true);
      const len = view.getUint16(x + 2, true);
      if (id === 1) {
        let q = x + 4;
        if (usize === 0xffffffff) {
          usize = Number(view.getBigUint64(q, true));
          q += 8;
        }
        if (csize === 0xffffffff) {
          csize = Number(view.getBigUint64(q, true));
          q += 8;
        }
        if (local === 0xffffffff) local = Number(view.getBigUint64(q, true));
      }
      x += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (view.getUint32(local, true) !== 0x04034b50) throw new ValueError(`npz member ${name}`, 'bad local header', 'a valid zip archive');
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const comp = bytes.subarray(dataStart, dataStart + csize);
    let raw: Uint8Array;
    if (method === 0) raw = comp;
    else if (method === 8) raw = inflateSync(comp);
    else throw new ValueError(`npz member ${name} compression`, method, '0 (stored) or 8 (deflate)');
    if (raw.length !== usize) throw new ValueError(`npz member ${name}`, raw.length, `${usize} bytes`);
    if (crc32(raw) !== crc) throw new ValueError(`npz member ${name}`, 'CRC mismatch', 'an intact archive');
    if (!name.endsWith('.npy')) continue;
    out.set(name.slice(0, -4), parseNpy(raw, `npz member ${name}`));
  }
  return out;
}

/** Writes arrays as a .npz archive (`np.savez` layout; deflated like `np.savez_compressed` unless `compress: false`). */
export function writeNpz(arrays: Record<string, { data: Float64Array | Float32Array; shape: readonly number[] }>, options: { compress?: boolean } = {}): Uint8Array {
  const compress = options.compress ?? true;
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  const enc = new TextEncoder();
  for (const [key, arr] of Object.entries(arrays)) {
    const name = enc.encode(`${key}.npy`);
    const raw = encodeNpy(arr.data, arr.shape);
    const body = compress ? deflateSync(raw) : raw;
    const crc = crc32(raw);
    const method = compress ? 8 : 0;
    const lh = new Uint8Array(30 + name.length);
    const lv = new DataView(lh.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint16(12, 0x21, true); // 1980-01-01
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, raw.length, true);
    lv.setUint16(26, name.length, true);
    lh.set(name, 30);
    const ch = new Uint8Array(46 + name.length);
    const cv = new DataView(ch.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint16(14, 0x21, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, raw.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    ch.set(name, 46);
    locals.push(lh, body);
    centrals.push(ch);
    offset += lh.length + body.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, centrals.length, true);
  ev.setUint16(10, centrals.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let p = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/**
 * pytorch-fid reference statistics (`mu`, `sigma`) from .npz bytes, as float64 (float32 files are
 * widened). Throws naming the missing key or the wrong shape.
 */
export function parseFidStats(bytes: Uint8Array): GaussianStats {
  const arrays = readNpz(bytes);
  const mu = arrays.get('mu');
  const sigma = arrays.get('sigma');
  if (!mu) throw new ValueError('npz', [...arrays.keys()], "a member 'mu'");
  if (!sigma) throw new ValueError('npz', [...arrays.keys()], "a member 'sigma'");
  const d = mu.data.length;
  if (mu.shape.length !== 1) throw new ValueError('mu shape', mu.shape, '(d,)');
  if (sigma.shape.length !== 2 || sigma.shape[0] !== d || sigma.shape[1] !== d) throw new ValueError('sigma shape', sigma.shape, `(${d}, ${d})`);
  const out = { dim: d, mu: Float64Array.from(mu.data), sigma: Float64Array.from(sigma.data) };
  assertFinite(out.mu, 'mu');
  assertFinite(out.sigma, 'sigma');
  return out;
}

/** .npz bytes holding `mu` and `sigma` in float64, as pytorch-fid's `save_fid_stats` writes them. */
export function encodeFidStats(stats: GaussianStats, options: { compress?: boolean } = {}): Uint8Array {
  return writeNpz({ mu: { data: stats.mu, shape: [stats.dim] }, sigma: { data: stats.sigma, shape: [stats.dim, stats.dim] } }, options);
}
