import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Tensor } from '@phys/tensor';
import { UsageError } from './errors.js';
import { untileGrid } from '@phys/metrics';
import type { Image8 } from './png.js';
import { decodePngAsync } from './png-decode.js';

/** Writes `img` (8-bit) as row `index` of `out` (`[B, channels, H, W]`) with 0..255 mapped onto `range`. */
export function imageToTensor(img: Image8, channels: number, range: readonly [number, number], out: Tensor, index: number): void {
  const { width, height } = img;
  for (let c = 0; c < channels; c++)
    for (let i = 0; i < width * height; i++) {
      const v = img.data[i * img.channels + Math.min(c, img.channels - 1)]!;
      out.data[((index * channels + c) * height * width) + i] = range[0] + (v / 255) * (range[1] - range[0]);
    }
}

/**
 * Loads images as a `[B, C, H, W]` tensor in `range`: a PNG grid written by `phys sample`, or a
 * folder of same-sized PNG files (one image each, sorted by name). `shape` is one image's
 * `[C, H, W]`; images of another size are an error.
 */
export async function loadImages(
  source: string,
  shape: readonly number[],
  range: readonly [number, number],
  options: { signal?: AbortSignal; maxPixels?: number } = {},
): Promise<Tensor> {
  const [channels, height, width] = shape as [number, number, number];
  const decode = async (file: string): Promise<Image8> => decodePngAsync(await readFile(file), { ...options, name: file });
  const info = await stat(source).catch(() => undefined);
  if (!info) throw new UsageError(`no such file or folder: ${source}`);
  if (info.isDirectory()) {
    const files = (await readdir(source)).filter((f) => f.toLowerCase().endsWith('.png')).sort();
    if (files.length === 0) throw new UsageError(`no .png files in ${source}`);
    const out = Tensor.zeros([files.length, channels, height, width]);
    for (let i = 0; i < files.length; i++) {
      const img = await decode(path.join(source, files[i]!));
      if (img.width !== width || img.height !== height) {
        throw new UsageError(`${files[i]}: image is ${img.width}x${img.height}, expected ${width}x${height}`);
      }
      imageToTensor(img, channels, range, out, i);
    }
    return out;
  }
  const img = await decode(source);
  if (img.text?.['phys.grid'] !== undefined) {
    const t = untileGrid(img, range);
    if (t.shape[2] !== height || t.shape[3] !== width) {
      throw new UsageError(`${source}: grid tiles are ${t.shape[3]}x${t.shape[2]}, expected ${width}x${height}`);
    }
    if (t.shape[1] !== channels) throw new UsageError(`${source}: grid has ${t.shape[1]} channels, expected ${channels}`);
    return t;
  }
  if (img.width === width && img.height === height) {
    const out = Tensor.zeros([1, channels, height, width]);
    imageToTensor(img, channels, range, out, 0);
    return out;
  }
  throw new UsageError(`${source}: a ${img.width}x${img.height} PNG without a phys.grid layout (give a folder of ${width}x${height} images)`);
}
