import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ValueError } from '@phys/tensor';
import { ModelFormatError, ProtoReader, parsePhysMetadata, readModelHeader, readModelHeaderFromFile } from '../src/index.js';
import { affineModel } from './onnx-builder.js';

const dir = mkdtempSync(path.join(tmpdir(), 'phys-onnx-proto-'));

function writeModel(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

const metadata = {
  'phys.kind': 'denoiser',
  'phys.parameterization': 'edm-raw',
  'phys.kernel': 'pfgmpp',
  'phys.D': '128',
  'phys.sigma_data': '0.5',
  'phys.sigma_min': '0.002',
  'phys.sigma_max': '80',
  'phys.image_shape': '1,28,28',
  'phys.value_range': '-1,1',
  'phys.input_x': 'images',
  'phys.input_sigma': 'noise',
  'phys.output': 'out',
  'phys.provenance': 'tools/fashion/train.py seed 0 — unicode ok: σ',
  'other.key': 'ignored',
};

describe('ONNX header reader', () => {
  test('reads ir_version, producer, opsets and metadata_props from bytes and from a file', async () => {
    const bytes = affineModel({ a: 1, b: 0, c: 0, metadata });
    const fromBytes = readModelHeader(bytes);
    const fromFile = await readModelHeaderFromFile(writeModel('meta.onnx', bytes));
    for (const h of [fromBytes, fromFile]) {
      expect(h.irVersion).toBe(8);
      expect(h.producerName).toBe('phys');
      expect(h.opsets.get('')).toBe(13);
      expect(Object.fromEntries(h.metadata)).toEqual(metadata);
    }
  });

  test('the file reader seeks over a large graph and reads metadata after it', async () => {
    const bytes = affineModel({ a: 1, b: 0, c: 0, metadata: { 'phys.kind': 'denoiser' }, padBytes: 3 << 20 });
    expect(bytes.length).toBeGreaterThan(3 << 20);
    const h = await readModelHeaderFromFile(writeModel('large.onnx', bytes));
    expect(h.metadata.get('phys.kind')).toBe('denoiser');
  });

  test('truncated or foreign bytes throw ModelFormatError naming the source', async () => {
    const bytes = affineModel({ a: 1, b: 0, c: 0, metadata });
    expect(() => readModelHeader(bytes.subarray(0, bytes.length - 3), 'cut.onnx')).toThrow(ModelFormatError);
    expect(() => readModelHeader(bytes.subarray(0, bytes.length - 3), 'cut.onnx')).toThrow(/cut\.onnx: not a valid ONNX model/);
    await expect(readModelHeaderFromFile(writeModel('cut.onnx', bytes.subarray(0, bytes.length - 3)))).rejects.toThrow(ModelFormatError);
    // A PNG signature is not a ModelProto.
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(() => readModelHeader(png)).toThrow(ModelFormatError);
    // Valid protobuf without a graph field.
    expect(() => readModelHeader(Uint8Array.from([0x08, 0x07]))).toThrow(/no graph/);
  });

  test('varints decode per the protobuf spec', () => {
    // 300 = 0xAC 0x02; 2^40 needs 6 bytes.
    const r = new ProtoReader(Uint8Array.from([0xac, 0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]));
    expect(r.varint()).toBe(300);
    expect(r.varint()).toBe(2 ** 40);
    expect(r.done).toBe(true);
    expect(() => r.varint()).toThrow(ModelFormatError);
  });
});

describe('phys.* metadata', () => {
  test('parses every key of the convention into typed values', () => {
    const m = parsePhysMetadata(new Map(Object.entries({ ...metadata, 'phys.noise_input': 'vp', 'phys.vp_M': '1000', 'phys.output_logits': 'lg', 'phys.output_features': 'ft', 'phys.input_z': 'zz', 'phys.output_z': 'oz' })));
    expect(m).toEqual({
      kind: 'denoiser',
      parameterization: 'edm-raw',
      kernel: 'pfgmpp',
      D: 128,
      sigmaData: 0.5,
      sigmaMin: 0.002,
      sigmaMax: 80,
      imageShape: [1, 28, 28],
      valueRange: [-1, 1],
      inputX: 'images',
      inputSigma: 'noise',
      output: 'out',
      provenance: metadata['phys.provenance'],
      noiseInput: 'vp',
      vpM: 1000,
      outputLogits: 'lg',
      outputFeatures: 'ft',
      inputZ: 'zz',
      outputZ: 'oz',
    });
    expect(parsePhysMetadata(new Map([['phys.D', 'inf']])).D).toBe(Infinity);
    expect(parsePhysMetadata(new Map([['phys.image_shape', '3, 32, 32']])).imageShape).toEqual([3, 32, 32]);
  });

  test.each([
    ['phys.kind', 'generator', /phys\.kind: expected one of denoiser/],
    ['phys.parameterization', 'x0', /phys\.parameterization/],
    ['phys.kernel', 'poisson', /phys\.kernel/],
    ['phys.D', '-3', /phys\.D: expected a positive number or inf, got "-3"/],
    ['phys.D', '', /phys\.D/],
    ['phys.sigma_data', '0', /phys\.sigma_data/],
    ['phys.sigma_min', '-1', /phys\.sigma_min/],
    ['phys.image_shape', '1,28.5,28', /phys\.image_shape/],
    ['phys.value_range', '1,-1', /phys\.value_range/],
    ['phys.input_x', '  ', /phys\.input_x/],
  ])('%s = %j throws a ValueError naming the key', (key, value, message) => {
    expect(() => parsePhysMetadata(new Map([[key, value]]))).toThrow(ValueError);
    expect(() => parsePhysMetadata(new Map([[key, value]]))).toThrow(message);
  });
});
