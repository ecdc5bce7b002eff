import { deflateSync, inflateSync } from 'node:zlib';
import { crc32 } from '@phys/metrics';

/** An 8-bit image: `channels` 1 (gray), 3 (RGB) or 4 (RGBA), row-major interleaved. */
export interface Image8 {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
  readonly data: Uint8Array;
  /** tEXt chunks (keyword -> Latin-1 text). */
  readonly text?: Readonly<Record<string, string>>;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOR_TYPE: Record<1 | 3 | 4, number> = { 1: 0, 3: 2, 4: 6 };

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** Encodes an 8-bit image as PNG (filter 0 on every row, zlib level 9), with its tEXt chunks. */
export function encodePng(img: Image8): Buffer {
  const { width, height, channels, data } = img;
  const text = Object.entries(img.text ?? {}).map(([k, v]) => chunk('tEXt', Buffer.from(`${k}\0${v}`, 'latin1')));
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = COLOR_TYPE[channels];
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), ...text, chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes a non-interlaced 8-bit gray, gray+alpha, RGB or RGBA PNG (alpha dropped for gray+alpha). */
export function decodePng(file: Uint8Array): Image8 {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file (bad signature)');
  let pos = 8;
  let width = 0, height = 0, colorType = -1;
  const idat: Buffer[] = [];
  const text: Record<string, string> = {};
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8]!;
      colorType = body[9]!;
      if (depth !== 8 || body[12] !== 0) throw new Error(`unsupported PNG: bit depth ${depth}, interlace ${body[12]} (need 8-bit, non-interlaced)`);
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'tEXt') {
      const sep = body.indexOf(0);
      text[body.toString('latin1', 0, sep)] = body.toString('latin1', sep + 1);
    }
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const bpp = ({ 0: 1, 4: 2, 2: 3, 6: 4 } as Record<number, number>)[colorType];
  if (!bpp) throw new Error(`unsupported PNG color type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
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
  if (colorType === 4) {
    const gray = new Uint8Array(width * height);
    for (let i = 0; i < gray.length; i++) gray[i] = px[2 * i]!;
    return { width, height, channels: 1, data: gray, text };
  }
  return { width, height, channels: bpp as 1 | 3 | 4, data: px, text };
}
