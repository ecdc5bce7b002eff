// Property-based fuzz of the CLI's file readers (test-support/fuzz.ts): random and mutated PNG
// bytes decode or throw a typed one-line error, never a RangeError or a huge allocation.
import { Tensor } from '@phys/tensor';
import { tileGrid, untileGrid } from '@phys/metrics';
import { encodePng } from '../src/png.js';
import { decodePng } from '../src/png-decode.js';
import { fc, fuzz } from '../../../test-support/fuzz.js';

describe('cli fuzz: PNG decoding and grid records', () => {
  it('decodePng on random and mutated files; untileGrid on decoded grids', async () => {
    const x = Tensor.zeros([3, 1, 4, 4]);
    const valid = encodePng(tileGrid(x, [-1, 1]));
    const mutated = fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: valid.length })).map(([i, b, cut]) => {
      const m = Uint8Array.from(valid.subarray(0, cut));
      if (i < m.length) m[i] = b;
      return m;
    });
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 100 }), mutated);
    await fuzz(bytes, (b) => decodePng(b, { maxPixels: 1 << 16 }), { allowInfinity: true });
    await fuzz(bytes, (b) => untileGrid(decodePng(b, { maxPixels: 1 << 16 }), [-1, 1]));
  });
});
