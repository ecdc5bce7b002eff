// Inception-v3 input preprocessing of the reference FID implementations: resize to 299 x 299 and
// map to the value range the first convolution expects. Each preset reproduces one library.
import { ShapeError, ValueError, assertFinite } from '@phys/tensor';

/**
 * Which library's preprocessing to reproduce:
 * - 'pytorch-fid': x/255, bilinear with half-pixel centres (`F.interpolate(..., mode='bilinear',
 *   align_corners=False)`, no antialiasing), then 2x - 1 (range [-1, 1]).
 * - 'torch-fidelity': TensorFlow-1 bilinear on 0..255 values (source = dest * in/out, no half-pixel
 *   offset, upper index clamped), then (x - 128)/128.
 * - 'clean-fid': PIL bicubic (a = -0.5) with antialiasing support 2 max(in/out, 1), horizontal pass
 *   then vertical with a float32 intermediate, clipped to [0, 255], then (x - 128)/128.
 * - 'torchmetrics-antialias': torch bilinear with `antialias=True` (triangle filter with support
 *   max(in/out, 1)), then (x - 128)/128.
 */
export type InceptionPreset = 'pytorch-fid' | 'torch-fidelity' | 'clean-fid' | 'torchmetrics-antialias';

/** The presets, for CLI flags and validation. */
export const INCEPTION_PRESETS: readonly InceptionPreset[] = ['pytorch-fid', 'torch-fidelity', 'clean-fid', 'torchmetrics-antialias'];

/** One image, channel-first, with values on the 0..255 scale (uint8 or float). */
export interface ImageCHW {
  readonly data: ArrayLike<number>;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** Options of {@link preprocessForInception}. */
export interface PreprocessOptions {
  /** Output height (default 299). */
  height?: number;
  /** Output width (default 299). */
  width?: number;
  /** Replicate a single (grey) channel to 3, as `PIL.Image.convert('RGB')` does (default true). */
  toRgb?: boolean;
}

/**
 * Resizes and normalises one image exactly as `preset` does before the first Inception conv.
 * Returns a float32 CHW array (`channels x height x width`). The values match the reference
 * libraries to about 1e-5 (they compute in float32; this computes in float64 and stores float32).
 */
export function preprocessForInception(image: ImageCHW, preset: InceptionPreset = 'pytorch-fid', options: PreprocessOptions = {}): Float32Array {
  const { channels, height: h, width: w } = image;
  for (const [name, v] of [
    ['channels', channels],
    ['height', h],
    ['width', w],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new ValueError(`image.${name}`, v, 'an integer >= 1');
  }
  if (image.data.length !== channels * h * w) throw new ShapeError('image.data', `${channels * h * w} values (${channels} x ${h} x ${w})`, `${image.data.length}`);
  assertFinite(image.data, 'image.data');
  if (!INCEPTION_PRESETS.includes(preset)) throw new ValueError('preset', preset, INCEPTION_PRESETS.join(' | '));
  const oh = options.height ?? 299;
  const ow = options.width ?? 299;
  if (!(Number.isInteger(oh) && oh >= 1 && Number.isInteger(ow) && ow >= 1)) throw new ValueError('height/width', `${oh} x ${ow}`, 'integers >= 1');
  const outChannels = channels === 1 && (options.toRgb ?? true) ? 3 : channels;
  const out = new Float32Array(outChannels * oh * ow);
  const plane = new Float64Array(h * w);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < h * w; i++) plane[i] = image.data[c * h * w + i]!;
    const res = resizePlane(plane, h, w, oh, ow, preset);
    const o = c * oh * ow;
    for (let i = 0; i < oh * ow; i++) {
      const v = res[i]!;
      // Value range of each library's first conv input.
      out[o + i] = preset === 'pytorch-fid' ? 2 * v - 1 : (v - 128) / 128;
    }
  }
  if (outChannels !== channels) {
    out.copyWithin(oh * ow, 0, oh * ow);
    out.copyWithin(2 * oh * ow, 0, oh * ow);
  }
  return out;
}

function resizePlane(src: Float64Array, h: number, w: number, oh: number, ow: number, preset: InceptionPreset): ArrayLike<number> {
  switch (preset) {
    case 'pytorch-fid': {
      const x = src.map((v) => v / 255);
      return bilinear(x, h, w, oh, ow, true);
    }
    case 'torch-fidelity':
      return bilinear(src, h, w, oh, ow, false);
    case 'clean-fid': {
      const r = separable(src, h, w, oh, ow, BICUBIC);
      for (let i = 0; i < r.length; i++) r[i] = Math.min(255, Math.max(0, r[i]!));
      return r;
    }
    case 'torchmetrics-antialias':
      return separable(src, h, w, oh, ow, TRIANGLE);
  }
}

/** Source coordinate tables of plain bilinear interpolation along one axis. */
function linearTaps(inSize: number, outSize: number, halfPixel: boolean): { i0: Int32Array; i1: Int32Array; f: Float64Array } {
  const scale = inSize / outSize;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    // pytorch (align_corners=False): src = (o + 0.5) scale - 0.5, clamped below at 0.
    // TensorFlow 1 (align_corners=False, no half-pixel centres): src = o scale.
    let s = halfPixel ? (o + 0.5) * scale - 0.5 : o * scale;
    if (s < 0) s = 0;
    const lo = Math.min(Math.floor(s), inSize - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    f[o] = s - lo;
  }
  return { i0, i1, f };
}

function bilinear(src: Float64Array, h: number, w: number, oh: number, ow: number, halfPixel: boolean): Float64Array {
  const ty = linearTaps(h, oh, halfPixel);
  const tx = linearTaps(w, ow, halfPixel);
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    const r0 = ty.i0[y]! * w;
    const r1 = ty.i1[y]! * w;
    const fy = ty.f[y]!;
    for (let x = 0; x < ow; x++) {
      const c0 = tx.i0[x]!;
      const c1 = tx.i1[x]!;
      const fx = tx.f[x]!;
      const top = src[r0 + c0]! + (src[r0 + c1]! - src[r0 + c0]!) * fx;
      const bottom = src[r1 + c0]! + (src[r1 + c1]! - src[r1 + c0]!) * fx;
      out[y * ow + x] = top + (bottom - top) * fy;
    }
  }
  return out;
}

interface Filter {
  readonly support: number;
  readonly fn: (x: number) => number;
}

/** PIL's bicubic kernel, a = -0.5 (Keys). */
const BICUBIC: Filter = {
  support: 2,
  fn: (x0) => {
    const a = -0.5;
    const x = Math.abs(x0);
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  },
};

/** Triangle (bilinear) kernel of torch's antialiased interpolation. */
const TRIANGLE: Filter = {
  support: 1,
  fn: (x0) => {
    const x = Math.abs(x0);
    return x < 1 ? 1 - x : 0;
  },
};

/** Normalised filter taps per output pixel (PIL `precompute_coeffs`, torch `_compute_weights_aa`). */
function filterTaps(inSize: number, outSize: number, filter: Filter): { start: Int32Array; count: Int32Array; weights: Float64Array; width: number } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const width = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * width);
  const ss = 1 / filterScale;
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let k = 0; k < xmax; k++) {
      const wgt = filter.fn((k + xmin - center + 0.5) * ss);
      weights[o * width + k] = wgt;
      total += wgt;
    }
    if (total !== 0) for (let k = 0; k < xmax; k++) weights[o * width + k]! /= total;
    start[o] = xmin;
    count[o] = xmax;
  }
  return { start, count, weights, width };
}

/** Separable resampling: horizontal pass into a float32 image, then vertical (PIL and torch order). */
function separable(src: Float64Array, h: number, w: number, oh: number, ow: number, filter: Filter): Float64Array {
  const tx = filterTaps(w, ow, filter);
  const ty = filterTaps(h, oh, filter);
  const mid = new Float32Array(h * ow);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      const st = tx.start[x]!;
      for (let k = 0; k < tx.count[x]!; k++) s += src[y * w + st + k]! * tx.weights[x * tx.width + k]!;
      mid[y * ow + x] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    const st = ty.start[y]!;
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < ty.count[y]!; k++) s += mid[(st + k) * ow + x]! * ty.weights[y * ty.width + k]!;
      out[y * ow + x] = s;
    }
  }
  return out;
}
