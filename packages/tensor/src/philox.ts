/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
 * counter-based generator of Random123, cuRAND and JAX. Stateless: output = f(counter, key).
 */

/** Round multipliers and Weyl key increments of Philox4x32 (Salmon et al. 2011). */
export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;
const [M0, M1, W0, W1] = [PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1];
// Module-level bindings: global `Math.*` lookups are slow inside vm contexts (jest's ESM runner).
const { floor, imul } = Math;

/** High 32 bits of the 64-bit product of two uint32 values, exactly. */
function mulhi32(a: number, b: number): number {
  const t = a * (b >>> 16) + floor((a * (b & 0xffff)) / 65536);
  return floor(t / 65536) >>> 0;
}

/**
 * Writes Philox4x32-10(counter, key) into `out[0..3]`.
 * @param c0..c3 the 128-bit counter as four uint32 words
 * @param k0,k1 the 64-bit key as two uint32 words
 */
export function philox4x32(
  out: Uint32Array,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
): void {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi32(M0, x0);
    const lo0 = imul(M0, x0) >>> 0;
    const hi1 = mulhi32(M1, x2);
    const lo1 = imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}
