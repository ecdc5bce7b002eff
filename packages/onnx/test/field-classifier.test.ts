import { ShapeError, Tensor, ValueError } from '@phys/tensor';
import { ModelSignatureError, loadClassifier, loadNormalizedField, type ClassifierOptions, type FieldOptions, type OnnxClassifier, type OnnxNormalizedField } from '../src/index.js';
import { pfgmSample, type NormalizedField } from '@phys/samplers';
import { buildModel, type Dim } from './onnx-builder.js';

const opened: { dispose(): Promise<void> }[] = [];
afterAll(async () => {
  for (const m of opened) await m.dispose();
});

/**
 * A PFGM-style field network: field_x = 2 x - z (z broadcast per row), field_z = ReduceSum(x) + z
 * per row. Enough to check feeding of both inputs and reading of both outputs.
 */
function fieldModel(options: { zShape?: Dim[]; ozShape?: Dim[]; metadata?: Record<string, string>; names?: { z?: string } } = {}): Uint8Array {
  const z = options.names?.z ?? 'z';
  const zShape = options.zShape ?? ['B'];
  const ozShape = options.ozShape ?? ['B'];
  return buildModel({
    inputs: [
      { name: 'x', type: 'float32', shape: ['B', 1, 2, 2] },
      { name: z, type: 'float32', shape: zShape },
    ],
    outputs: [
      { name: 'field_x', type: 'float32', shape: ['B', 1, 2, 2] },
      { name: 'field_z', type: 'float32', shape: ozShape },
    ],
    initializers: [
      { name: 'two', type: 'float32', dims: [], values: [2] },
      { name: 'zshape', type: 'int64', dims: [4], values: [-1, 1, 1, 1] },
      { name: 'flat', type: 'int64', dims: [2], values: [-1, 4] },
      { name: 'oz', type: 'int64', dims: [ozShape.length], values: ozShape.length === 1 ? [-1] : [-1, 1] },
      { name: 'axes', type: 'int64', dims: [1], values: [1] },
    ],
    nodes: [
      { op: 'Reshape', inputs: [z, 'zshape'], outputs: ['z4'] },
      { op: 'Mul', inputs: ['x', 'two'], outputs: ['x2'] },
      { op: 'Sub', inputs: ['x2', 'z4'], outputs: ['field_x'] },
      { op: 'Reshape', inputs: ['x', 'flat'], outputs: ['xf'] },
      { op: 'ReduceSum', inputs: ['xf', 'axes'], outputs: ['xs'], attrs: { keepdims: 0 }, intAttrs: ['keepdims'] },
      { op: 'Reshape', inputs: [z, 'oz'], outputs: ['zr'] },
      { op: 'Reshape', inputs: ['xs', 'oz'], outputs: ['xsr'] },
      { op: 'Add', inputs: ['xsr', 'zr'], outputs: ['field_z'] },
    ],
    metadata: options.metadata,
  });
}

async function field(bytes: Uint8Array, options: FieldOptions = {}): Promise<OnnxNormalizedField> {
  const f = await loadNormalizedField(bytes, options);
  opened.push(f);
  return f;
}

describe('PFGM (D = 1) normalized-field models', () => {
  const x = Tensor.from([1, 2, 3, 4, -1, 0.5, 0, 2, 0, 0, 0, 1], [3, 1, 2, 2]);
  const z = Float64Array.of(0.5, 2, 40);
  const expectedX = Array.from(x.data, (v, i) => 2 * v - z[Math.floor(i / 4)]!);
  const expectedZ = [10 + 0.5, 1.5 + 2, 1 + 40];

  test('feeds x and z, returns both parts of the field (also in chunks, [B, 1] z)', async () => {
    for (const [bytes, chunkSize] of [
      [fieldModel(), 128],
      [fieldModel(), 2],
      [fieldModel({ zShape: ['B', 1], ozShape: ['B', 1] }), 1],
    ] as const) {
      const f = await field(bytes, { chunkSize });
      const out = await f(x, z);
      expect(Array.from(out.vx.data)).toEqual(expectedX);
      expect(Array.from(out.vz)).toEqual(expectedZ);
      expect(out.vx.shape).toEqual([3, 1, 2, 2]);
    }
  });

  test('float64 x returns float64; names and kind come from metadata', async () => {
    const f = await field(fieldModel({ names: { z: 'aug' }, metadata: { 'phys.kind': 'pfgm-field', 'phys.input_z': 'aug', 'phys.image_shape': '1,2,2' } }));
    expect(f.info.names).toEqual({ x: 'x', z: 'aug', output: 'field_x', outputZ: 'field_z' });
    const out = await f.evaluate(x.astype('float64'), z);
    expect(out.vx.dtype).toBe('float64');
    expect(Array.from(out.vx.data)).toEqual(expectedX);
  });

  test('plugs into pfgmSample of @phys/samplers as a NormalizedField', async () => {
    const f: NormalizedField = await field(fieldModel());
    const calls: number[] = [];
    const counting: NormalizedField = async (xx, zz) => {
      calls.push(zz[0]!);
      return f(xx, zz);
    };
    const res = await pfgmSample(counting, Tensor.from(Array.from({ length: 8 }, (_, i) => i - 4), [2, 1, 2, 2]), { solver: 'euler', steps: 4, zMax: 40, zMin: 1 });
    expect(res.x.shape).toEqual([2, 1, 2, 2]);
    expect(calls.length).toBe(4);
    expect(calls[0]).toBeCloseTo(40, 10);
    expect(res.x.data.every((v) => Number.isFinite(v))).toBe(true);
  });

  test('validation: kind, names, z values', async () => {
    await expect(loadNormalizedField(fieldModel({ metadata: { 'phys.kind': 'denoiser' } }))).rejects.toThrow(/phys\.kind: expected 'pfgm-field'/);
    await expect(loadNormalizedField(fieldModel(), { inputZ: 'r' })).rejects.toThrow(ModelSignatureError);
    await expect(loadNormalizedField(fieldModel({ zShape: ['B', 3] }))).rejects.toThrow(/input 'z': expected float32 or float64 \[B\] or \[B, 1\], found float32 \[B, 3\]/);
    const f = await field(fieldModel());
    await expect(f(x, Float64Array.of(1, 0, 1))).rejects.toThrow(/z\[1\]: expected a finite noise level > 0/);
    await expect(f(Tensor.zeros([3, 4]), z)).rejects.toThrow(ShapeError);
  });
});

/** A linear classifier: features = x_flat W1 (4 -> 3), logits = features W2 (3 -> 2). */
function classifierModel(options: { outputs?: [string, string]; metadata?: Record<string, string>; batch?: Dim } = {}): Uint8Array {
  const [logits, features] = options.outputs ?? ['logits', 'features'];
  const batch = options.batch === undefined ? 'B' : options.batch;
  return buildModel({
    inputs: [{ name: 'x', type: 'float32', shape: [batch, 1, 2, 2] }],
    outputs: [
      { name: logits, type: 'float32', shape: [batch, 2] },
      { name: features, type: 'float32', shape: [batch, 3] },
    ],
    initializers: [
      { name: 'flat', type: 'int64', dims: [2], values: [-1, 4] },
      { name: 'W1', type: 'float32', dims: [4, 3], values: [1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1] },
      { name: 'W2', type: 'float32', dims: [3, 2], values: [1, -1, 2, 0, 0, 1] },
    ],
    nodes: [
      { op: 'Reshape', inputs: ['x', 'flat'], outputs: ['xf'] },
      { op: 'MatMul', inputs: ['xf', 'W1'], outputs: [features] },
      { op: 'MatMul', inputs: [features, 'W2'], outputs: [logits] },
    ],
    metadata: options.metadata,
  });
}

async function classifier(bytes: Uint8Array, options: ClassifierOptions = {}): Promise<OnnxClassifier> {
  const c = await loadClassifier(bytes, options);
  opened.push(c);
  return c;
}

describe('classifiers as feature extractors', () => {
  const x = Tensor.from([1, 2, 3, 4, -1, 0.5, 0, 2, 0, 0, 0, 1, 5, 5, 5, 5, 1, 1, 1, 1], [5, 1, 2, 2]);
  const feats = (r: number[]): number[] => [r[0]!, r[1]!, r[0]! + r[1]! + r[2]! + r[3]!];
  const rows = Array.from({ length: 5 }, (_, i) => Array.from(x.row(i)));
  const expectedFeatures = rows.flatMap(feats);
  const expectedLogits = rows.map(feats).flatMap(([a, b, c]) => [a! + 2 * b!, -a! + c!]);

  test('features and logits, in one chunk or several, and both at once', async () => {
    for (const chunkSize of [128, 2]) {
      const c = await classifier(classifierModel(), { chunkSize });
      const f = await c.features(x);
      expect(f.shape).toEqual([5, 3]);
      expect(Array.from(f.data)).toEqual(expectedFeatures);
      expect(Array.from((await c.logits(x)).data)).toEqual(expectedLogits);
      const both = await c.run(x);
      expect(Array.from(both.features!.data)).toEqual(expectedFeatures);
      expect(Array.from(both.logits!.data)).toEqual(expectedLogits);
    }
  });

  test('output names from metadata; a features-only model; fixed batch with padding', async () => {
    const named = await classifier(classifierModel({ outputs: ['lg', 'pen'], metadata: { 'phys.kind': 'classifier', 'phys.output_logits': 'lg', 'phys.output_features': 'pen' } }));
    expect(Array.from((await named.features(x)).data)).toEqual(expectedFeatures);
    const onlyFeatures = await classifier(classifierModel({ outputs: ['other', 'features'] }));
    expect(onlyFeatures.info.names.logits).toBeUndefined();
    expect(Array.from((await onlyFeatures.features(x)).data)).toEqual(expectedFeatures);
    await expect(onlyFeatures.logits(x)).rejects.toThrow(ValueError);
    const fixed = await classifier(classifierModel({ batch: 2 }));
    expect(fixed.info.fixedBatch).toBe(2);
    expect(Array.from((await fixed.features(x)).data)).toEqual(expectedFeatures);
  });

  test('inputRange maps the caller data onto the model range', async () => {
    const c = await classifier(classifierModel(), { valueRange: [-1, 1], inputRange: [0, 1] });
    // Data in [0, 1]: v -> 2v - 1 before the network.
    const mapped = Tensor.from(Array.from(x.data, (v) => 2 * v - 1), x.shape);
    const direct = await classifier(classifierModel());
    expect(Array.from((await c.features(x)).data)).toEqual(Array.from((await direct.features(mapped)).data));
  });

  test('validation: no known outputs, named outputs missing, wrong kind, wrong x', async () => {
    await expect(loadClassifier(classifierModel({ outputs: ['a', 'b'] }))).rejects.toThrow(ModelSignatureError);
    await expect(loadClassifier(classifierModel({ outputs: ['a', 'b'] }))).rejects.toThrow(/output 'logits': expected .* found missing/);
    await expect(loadClassifier(classifierModel(), { outputFeatures: 'penultimate' })).rejects.toThrow(/output 'penultimate'.*missing \(the model's outputs are 'logits', 'features'\)/);
    await expect(loadClassifier(classifierModel({ metadata: { 'phys.kind': 'denoiser' } }))).rejects.toThrow(/phys\.kind: expected 'classifier'/);
    await expect(loadClassifier(classifierModel(), { imageShape: [1, 28, 28] })).rejects.toThrow(/input 'x': expected float32 or float64 \[B, 1, 28, 28\], found float32 \[B, 1, 2, 2\]/);
    const c = await classifier(classifierModel());
    await expect(c.features(Tensor.zeros([2, 4]))).rejects.toThrow(ShapeError);
    await expect(c.features(Tensor.zeros([0, 1, 2, 2]))).rejects.toThrow(/at least one row/);
  });
});
