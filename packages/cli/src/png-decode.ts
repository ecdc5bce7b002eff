// PNG decoding that trusts nothing in the file: chunk lengths and CRCs are checked, the image size
// is bounded before anything is allocated, the image data must inflate to exactly the size the
// header promises, and the async form yields between row blocks so a signal can stop it.
import { inflate, inflateSync } from 'node:zlib';
import { promisify } from 'node:util';
import { PhysError } from '@phys/tensor';
import { crc32 } from '@phys/metrics';
import type { Image8 } from './png.js';

/** A PNG file is corrupt, truncated or of a kind we do not read. The message is one line. */
export class PngError extends PhysError {
  override name = 'PngError';
}

/** Options of {@link decodePng} and {@link decodePngAsync}. */
export interface PngDecodeOptions {
  /** Largest width x height accepted, checked before allocating (default 2^26 = 67,108,864 pixels). */
  maxPixels?: number;
  /** Name of the file in messages (default 'PNG'). */
  name?: string;
}

/** Default of {@link PngDecodeOptions.maxPixels}. */
export const DEFAULT_MAX_PIXELS = 2 ** 26;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const BYTES_PER_PIXEL: Record<number, number> = { 0: 1, 4: 2, 2: 3, 6: 4 };

interface Parsed {
  width: number;
  height: number;
  colorType: number;
  bpp: number;
  idat: Buffer;
  text: Record<string, string>;
}

/** Walks the chunks, checking lengths, CRCs, the header and the size bound. */
function parseChunks(file: Uint8Array, options: PngDecodeOptions): Parsed {
  const name = options.name ?? 'PNG';
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const fail = (why: string): never => {
    throw new PngError(`${name}: ${why}`);
  };
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < 8 || SIGNATURE.some((b, i) => buf[i] !== b)) fail('not a PNG file (bad signature)');
  let pos = 8;
  let header: { width: number; height: number; colorType: number; bpp: number } | undefined;
  const idat: Buffer[] = [];
  const text: Record<string, string> = {};
  let ended = false;
  while (!ended) {
    if (pos + 12 > buf.length) fail(`truncated at byte ${pos} (a chunk header needs 12 bytes, ${buf.length - pos} left; no IEND chunk)`);
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`bad chunk type at byte ${pos}`);
    if (len > 0x7fffffff || pos + 12 + len > buf.length) fail(`chunk ${type} at byte ${pos} claims ${len} bytes, only ${Math.max(0, buf.length - pos - 12)} left (truncated)`);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    const stored = buf.readUInt32BE(pos + 8 + len);
    if (crc32(buf.subarray(pos + 4, pos + 8 + len)) !== stored) fail(`CRC mismatch in chunk ${type} at byte ${pos} (corrupt file)`);
    if (header === undefined && type !== 'IHDR') fail(`first chunk is ${type}, expected IHDR`);
    if (type === 'IHDR') {
      if (header !== undefined) fail('two IHDR chunks');
      if (len !== 13) fail(`IHDR has ${len} bytes, expected 13`);
      const width = body.readUInt32BE(0);
      const height = body.readUInt32BE(4);
      const [depth, colorType, compression, filter, interlace] = [body[8]!, body[9]!, body[10]!, body[11]!, body[12]!];
      if (width === 0 || height === 0) fail(`image of ${width}x${height} pixels`);
      if (width * height > maxPixels) fail(`image of ${width}x${height} = ${width * height} pixels exceeds the limit of ${maxPixels} (raise it with --max-pixels)`);
      const bpp = BYTES_PER_PIXEL[colorType];
      if (bpp === undefined || depth !== 8 || interlace !== 0 || compression !== 0 || filter !== 0) {
        fail(`unsupported PNG: color type ${colorType}, bit depth ${depth}, interlace ${interlace} (need 8-bit gray, gray+alpha, RGB or RGBA, not interlaced)`);
      }
      header = { width, height, colorType, bpp: bpp! };
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'tEXt') {
      const sep = body.indexOf(0);
      if (sep <= 0) fail('tEXt chunk without a keyword');
      text[body.toString('latin1', 0, sep)] = body.toString('latin1', sep + 1);
    } else if (type === 'IEND') ended = true;
    pos += 12 + len;
  }
  if (header === undefined) return fail('no IHDR chunk');
  if (idat.length === 0) fail('no image data (IDAT chunk)');
  return { ...header, idat: Buffer.concat(idat), text };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the row filters of rows [y0, y1) from `raw` into `px`. */
function unfilterRows(p: Parsed, raw: Uint8Array, px: Uint8Array, y0: number, y1: number, name: string): void {
  const { bpp } = p;
  const stride = p.width * bpp;
  for (let y = y0; y < y1; y++) {
    const filter = raw[y * (stride + 1)]!;
    if (filter > 4) throw new PngError(`${name}: row ${y} has filter type ${filter} (corrupt image data)`);
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[row + x - bpp]! : 0;
      const b = y > 0 ? px[row - stride + x]! : 0;
      const c = x >= bpp && y > 0 ? px[row - stride + x - bpp]! : 0;
      const v = raw[src + x]!;
      px[row + x] = (filter === 0 ? v : filter === 1 ? v + a : filter === 2 ? v + b : filter === 3 ? v + ((a + b) >> 1) : v + paeth(a, b, c)) & 0xff;
    }
  }
}

function expectedRaw(p: Parsed): number {
  return (p.width * p.bpp + 1) * p.height;
}

function checkRaw(p: Parsed, raw: Uint8Array, name: string): void {
  const want = expectedRaw(p);
  if (raw.length !== want) throw new PngError(`${name}: image data inflate to ${raw.length} bytes, expected ${want} for ${p.width}x${p.height} (truncated or corrupt)`);
}

function inflateError(e: unknown, p: Parsed, name: string): PngError {
  const code = (e as { code?: string }).code;
  if (code === 'ERR_BUFFER_TOO_LARGE') return new PngError(`${name}: image data inflate to more than the ${expectedRaw(p)} bytes of a ${p.width}x${p.height} image (corrupt)`);
  return new PngError(`${name}: image data do not inflate (${(e as Error).message})`);
}

function finish(p: Parsed, px: Uint8Array): Image8 {
  if (p.colorType === 4) {
    const gray = new Uint8Array(p.width * p.height);
    for (let i = 0; i < gray.length; i++) gray[i] = px[2 * i]!;
    return { width: p.width, height: p.height, channels: 1, data: gray, text: p.text };
  }
  return { width: p.width, height: p.height, channels: p.bpp as 1 | 3 | 4, data: px, text: p.text };
}

/**
 * Decodes a non-interlaced 8-bit gray, gray+alpha (alpha dropped), RGB or RGBA PNG. Checks every
 * chunk's length and CRC, refuses images over `maxPixels` before allocating and image data that do
 * not inflate to exactly the header's size; throws {@link PngError} (one line) for any of these.
 */
export function decodePng(file: Uint8Array, options: PngDecodeOptions = {}): Image8 {
  const name = options.name ?? 'PNG';
  const p = parseChunks(file, options);
  let raw: Uint8Array;
  try {
    raw = inflateSync(p.idat, { maxOutputLength: expectedRaw(p) + 1 });
  } catch (e) {
    throw inflateError(e, p, name);
  }
  checkRaw(p, raw, name);
  const px = new Uint8Array(p.width * p.bpp * p.height);
  unfilterRows(p, raw, px, 0, p.height, name);
  return finish(p, px);
}

const inflateAsync = promisify(inflate);

/**
 * {@link decodePng} that inflates on the thread pool and unfilters in blocks of rows, yielding to
 * the event loop between blocks and checking `signal`, so a large image can be interrupted.
 */
export async function decodePngAsync(file: Uint8Array, options: PngDecodeOptions & { signal?: AbortSignal } = {}): Promise<Image8> {
  const name = options.name ?? 'PNG';
  const p = parseChunks(file, options);
  options.signal?.throwIfAborted();
  let raw: Uint8Array;
  try {
    raw = await inflateAsync(p.idat, { maxOutputLength: expectedRaw(p) + 1 });
  } catch (e) {
    throw inflateError(e, p, name);
  }
  checkRaw(p, raw, name);
  const px = new Uint8Array(p.width * p.bpp * p.height);
  const block = Math.max(1, Math.floor((1 << 20) / (p.width * p.bpp + 1)));
  for (let y = 0; y < p.height; y += block) {
    options.signal?.throwIfAborted();
    unfilterRows(p, raw, px, y, Math.min(p.height, y + block), name);
    await new Promise((resolve) => setImmediate(resolve));
  }
  options.signal?.throwIfAborted();
  return finish(p, px);
}
