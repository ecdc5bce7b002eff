import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expectClose, flat, goldenDir, loadGolden } from '../../../test-support/golden.js';
import { crc32, encodeFidStats, encodeNpy, parseFidStats, parseNpy, readNpz, writeNpz } from '../src/index.js';
import { loadFidStats, saveFidStats } from '../src/node.js';

const fid = loadGolden('metrics/fid.json');
const case0 = fid.cases[0];

function npyWithHeader(version: 1 | 2, descr: string, fortran: boolean, shape: number[], values: number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }\n`;
  const pre = version === 1 ? 10 : 12;
  const width = descr.endsWith('8') ? 8 : 4;
  const out = new Uint8Array(pre + header.length + values.length * width);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const little = !descr.startsWith('>');
  values.forEach((x, i) => {
    if (width === 8) v.setFloat64(pre + header.length + 8 * i, x, little);
    else v.setFloat32(pre + header.length + 4 * i, x, little);
  });
  return out;
}

describe('.npz / .npy (pytorch-fid statistics)', () => {
  test('stats_A_64x16.npz (np.savez_compressed, zip64 extras) equals cases[0].mu1/sigma1 exactly', () => {
    const s = loadFidStats(path.join(goldenDir, 'metrics/stats_A_64x16.npz'));
    expect(s.dim).toBe(16);
    expect(Array.from(s.mu)).toEqual(case0.mu1);
    expect(Array.from(s.sigma)).toEqual(flat(case0.sigma1));
  });

  test('stats_A_64x16_f32_uncompressed.npz (stored, <f4) equals the float32 cast exactly', () => {
    const s = loadFidStats(path.join(goldenDir, 'metrics/stats_A_64x16_f32_uncompressed.npz'));
    expect(Array.from(s.mu)).toEqual(Array.from(Float32Array.from(case0.mu1)));
    expect(Array.from(s.sigma)).toEqual(Array.from(Float32Array.from(flat(case0.sigma1))));
    const arrays = readNpz(new Uint8Array(readFileSync(path.join(goldenDir, 'metrics/stats_A_64x16_f32_uncompressed.npz'))));
    expect(arrays.get('sigma')!.dtype).toBe('float32');
    expect(arrays.get('sigma')!.shape).toEqual([16, 16]);
  });

  test('round trip, compressed and stored, float64 and float32', () => {
    const mu = Float64Array.from(case0.mu1);
    const sigma = Float64Array.from(flat(case0.sigma1));
    for (const compress of [true, false]) {
      const back = parseFidStats(encodeFidStats({ dim: 16, mu, sigma }, { compress }));
      expect(Array.from(back.mu)).toEqual(Array.from(mu));
      expect(Array.from(back.sigma)).toEqual(Array.from(sigma));
    }
    const f32 = readNpz(writeNpz({ x: { data: Float32Array.from([1.5, -2, 3.25]), shape: [3] } }));
    expect(f32.get('x')!.dtype).toBe('float32');
    expect(Array.from(f32.get('x')!.data)).toEqual([1.5, -2, 3.25]);
  });

  test('npy v1 and v2 headers, big-endian, Fortran order (converted to C order)', () => {
    // C-order [[1, 2, 3], [4, 5, 6]] stored in Fortran order is 1, 4, 2, 5, 3, 6.
    for (const version of [1, 2] as const) {
      for (const descr of ['<f8', '>f8', '<f4', '>f4']) {
        const a = parseNpy(npyWithHeader(version, descr, true, [2, 3], [1, 4, 2, 5, 3, 6]));
        expect(a.shape).toEqual([2, 3]);
        expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
      }
    }
    const c3 = parseNpy(npyWithHeader(1, '<f8', true, [2, 3, 2], Array.from({ length: 12 }, (_, i) => i)));
    // Fortran index of (i, j, k) is i + 2 j + 6 k.
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 2; k++) expected.push(i + 2 * j + 6 * k);
    expect(Array.from(c3.data)).toEqual(expected);
    const header = new TextDecoder().decode(encodeNpy(Float64Array.from([1, 2]), [2]).subarray(10, 10 + 70));
    expect(header).toMatch(/^\{'descr': '<f8', 'fortran_order': False, 'shape': \(2,\), \}/);
    expect((encodeNpy(Float64Array.from([1, 2]), [2]).length - 16) % 64).toBe(0);
  });

  test('errors name the problem', () => {
    expect(() => parseNpy(new Uint8Array(16))).toThrow(/NUMPY/);
    expect(() => parseNpy(npyWithHeader(1, '<i8', false, [1], [0]))).toThrow(/descr/);
    expect(() => readNpz(new Uint8Array(40))).toThrow(/zip/);
    const only = writeNpz({ mu: { data: new Float64Array(2), shape: [2] } });
    expect(() => parseFidStats(only)).toThrow(/'sigma'/);
    const bytes = encodeFidStats({ dim: 1, mu: Float64Array.from([1]), sigma: Float64Array.from([2]) }, { compress: false });
    // Layout: [local mu][mu.npy][local sigma][sigma.npy][central mu (52)][central sigma (55)][end (22)].
    const at = bytes.length - 22 - 55 - 52 - 1; // last data byte of sigma.npy
    bytes[at] = bytes[at]! ^ 0xff;
    expect(() => parseFidStats(bytes)).toThrow(/CRC mismatch/);
  });

  test('crc32 of "123456789" is 0xCBF43926', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  test('saveFidStats writes atomically (no temporary file left)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'phys-npz-'));
    try {
      const file = path.join(dir, 'ref.npz');
      saveFidStats(file, { dim: 2, mu: Float64Array.from([1, 2]), sigma: Float64Array.from([1, 0, 0, 1]) });
      expect(readdirSync(dir)).toEqual(['ref.npz']);
      expectClose(loadFidStats(file).mu, [1, 2], 0, 0, 'mu');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
