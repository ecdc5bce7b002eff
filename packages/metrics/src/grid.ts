// Image grids: the layout `phys sample` writes (tiles of a [B, C, H, W] batch with black padding,
// recorded in a `phys.grid` text chunk) and `phys eval` cuts back; platform-neutral, so a web page
// draws the same grid as the CLI.
import { Tensor, ValueError } from '@phys/tensor';

/** An 8-bit image: `channels` 1 (gray), 3 (RGB) or 4 (RGBA), row-major interleaved. */
export interface Image8 {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
  readonly data: Uint8Array;
  /** tEXt chunks (keyword -> Latin-1 text). */
  readonly text?: Readonly<Record<string, string>>;
}

/** Geometry of an image grid, stored in the PNG's `phys.grid` tEXt chunk so `phys eval` can cut it. */
export interface GridLayout {
  readonly count: number;
  readonly cols: number;
  readonly channels: 1 | 3;
  readonly height: number;
  readonly width: number;
  readonly pad: number;
}

const KEY = 'phys.grid';

function toByte(v: number, lo: number, hi: number): number {
  const t = Math.round(((v - lo) / (hi - lo)) * 255);
  return t < 0 ? 0 : t > 255 ? 255 : t;
}

/** Width and height of the grid image of `g`. */
function gridSize(g: GridLayout): [number, number] {
  const rows = Math.ceil(g.count / g.cols);
  return [g.cols * g.width + (g.cols + 1) * g.pad, rows * g.height + (rows + 1) * g.pad];
}

/**
 * Calls `visit(t, pixel, c)` for every value of the `[B, C, H, W]` batch of `g`: `t` is its index
 * in the batch, `pixel` the index of its pixel in a grid image `gridWidth` pixels wide, `c` its
 * channel.
 */
function forEachTileValue(g: GridLayout, gridWidth: number, visit: (t: number, pixel: number, c: number) => void): void {
  const { count, cols, channels, height, width, pad } = g;
  for (let b = 0; b < count; b++) {
    const ox = pad + (b % cols) * (width + pad);
    const oy = pad + Math.floor(b / cols) * (height + pad);
    for (let c = 0; c < channels; c++)
      for (let y = 0; y < height; y++)
        for (let xx = 0; xx < width; xx++) visit(((b * channels + c) * height + y) * width + xx, (oy + y) * gridWidth + ox + xx, c);
  }
}

/**
 * Tiles a batch `[B, C, H, W]` (C = 1 or 3) with values in `range` into one image with `pad`
 * pixels of black between tiles; the layout is recorded as a tEXt chunk.
 */
export function tileGrid(x: Tensor, range: readonly [number, number], pad = 2): Image8 {
  if (x.shape.length !== 4 || (x.shape[1] !== 1 && x.shape[1] !== 3)) {
    throw new ValueError('images', x.shape, 'a batch of shape [B, C, H, W] with C = 1 or 3');
  }
  const [count, channels, height, width] = x.shape as [number, 1 | 3, number, number];
  const layout: GridLayout = { count, cols: Math.ceil(Math.sqrt(count)), channels, height, width, pad };
  const [W, H] = gridSize(layout);
  const data = new Uint8Array(W * H * channels);
  forEachTileValue(layout, W, (t, pixel, c) => {
    data[pixel * channels + c] = toByte(x.data[t]!, range[0], range[1]);
  });
  return { width: W, height: H, channels, data, text: { [KEY]: JSON.stringify(layout) } };
}

/** The `phys.grid` record, checked: ValueError naming the field instead of NaN images or a RangeError. */
function parseLayout(stored: string): GridLayout {
  let g: unknown;
  try {
    g = JSON.parse(stored);
  } catch {
    throw new ValueError('phys.grid', stored.slice(0, 60), 'a JSON layout record (corrupt PNG text chunk)');
  }
  if (typeof g !== 'object' || g === null) throw new ValueError('phys.grid', stored.slice(0, 60), 'a JSON object');
  const r = g as Record<string, unknown>;
  const int = (key: string, min: number, max = 1 << 24): number => {
    const v = r[key];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) throw new ValueError(`phys.grid.${key}`, v, `an integer in [${min}, ${max}]`);
    return v;
  };
  const channels = int('channels', 1, 3);
  if (channels === 2) throw new ValueError('phys.grid.channels', channels, '1 or 3');
  return { count: int('count', 1), cols: int('cols', 1), channels: channels as 1 | 3, height: int('height', 1), width: int('width', 1), pad: int('pad', 0) };
}

/** Cuts a grid written by {@link tileGrid} (or described by `layout`) back into `[B, C, H, W]` in `range`. */
export function untileGrid(img: Image8, range: readonly [number, number], layout?: GridLayout): Tensor {
  const stored = img.text?.[KEY];
  const g = layout ?? (stored !== undefined ? parseLayout(stored) : undefined);
  if (!g) throw new ValueError('grid', 'no phys.grid layout', 'a PNG written by phys sample, or --tile/--count options');
  const { count, channels, height, width } = g;
  const [W, H] = gridSize(g);
  if (img.width < W || img.height < H) {
    throw new ValueError('grid', `${img.width}x${img.height}`, `an image large enough for ${count} tiles of ${width}x${height}`);
  }
  const out = Tensor.zeros([count, channels, height, width]);
  forEachTileValue(g, img.width, (t, pixel, c) => {
    out.data[t] = range[0] + (img.data[pixel * img.channels + Math.min(c, img.channels - 1)]! / 255) * (range[1] - range[0]);
  });
  return out;
}
