import { ShapeError, Tensor, ValueError, assertFinite, formatShape, shapeSize } from '@phys/tensor';
import type { InferenceSession } from 'onnxruntime-common';
import type { PhysMetadata } from './metadata.js';
import {
  allocateTyped,
  copyInto,
  callRows,
  checkChunkSize,
  checkNoiseLevels,
  forEachChunk,
  isType,
  planChunks,
  runSession,
  wrapTyped,
  type RunOptions,
} from './run.js';
import { checkSignature, fixedSampleShape, getMatched, openModel, type FloatType, type ModelSource, type SessionOptions } from './session.js';

/**
 * The N+1-dimensional normalized field of a PFGM (D = 1) network at (x, z), split into its x and z
 * parts (the same shape as `NormalizedFieldValue` of @phys/samplers, so the model plugs into
 * `pfgmSample`).
 */
export interface FieldValue {
  /** v_x, the x part, shape of x. */
  readonly vx: Tensor;
  /** v_z, the z part, one value per row. */
  readonly vz: Float64Array;
}

/** A PFGM (D = 1) normalized-field model: (x, z) -> the predicted normalized Poisson field (a `NormalizedField` of @phys/samplers). */
export type NormalizedFieldFn = (x: Tensor, z: Float64Array) => Promise<FieldValue>;

/** Options of {@link loadNormalizedField}; each overrides the model's `phys.*` metadata. */
export interface FieldOptions extends SessionOptions {
  /** One sample's shape without the batch (default: metadata, else the model's fixed dims). */
  imageShape?: readonly number[];
  /** The data range the model works in (default `[-1, 1]`). */
  valueRange?: readonly [number, number];
  /** Input name of x (default `x`). */
  inputX?: string;
  /** Input name of z, the augmented coordinate (default `z`; metadata `phys.input_z`). */
  inputZ?: string;
  /** Output name of the x part (default `field_x`; metadata `phys.output`). */
  output?: string;
  /** Output name of the z part (default `field_z`; metadata `phys.output_z`). */
  outputZ?: string;
  /** Rows per onnxruntime call (default 128). */
  chunkSize?: number;
  /**
   * Pad every call to `chunkSize` rows (default false), so the network always sees one batch
   * shape and a row's output does not depend on the batch it came in (see {@link callRows}).
   * Costs up to `chunkSize - 1` padded rows per call.
   */
  fixedShape?: boolean;
  /** Cancels calls made through the plain function (between chunks). */
  signal?: AbortSignal;
  /** Check outputs for NaN/Inf (default true). */
  checkFinite?: boolean;
}

/** What {@link loadNormalizedField} resolved. */
export interface FieldInfo {
  readonly source: string;
  readonly imageShape: readonly number[];
  readonly valueRange: readonly [number, number];
  readonly names: { readonly x: string; readonly z: string; readonly output: string; readonly outputZ: string };
  readonly types: { readonly x: FloatType; readonly z: FloatType; readonly output: FloatType; readonly outputZ: FloatType };
  readonly fixedBatch: number | undefined;
  readonly chunkSize: number;
  /** Every call is padded to `chunkSize` rows (option `fixedShape`). */
  readonly fixedShape: boolean;
  readonly threads: number;
  readonly metadata: PhysMetadata;
  readonly provenance: string | undefined;
}

/** An ONNX PFGM field network, callable as `field(x, z)`. */
export interface OnnxNormalizedField extends NormalizedFieldFn {
  readonly info: FieldInfo;
  /** The field with per-call options. */
  evaluate(x: Tensor, z: Float64Array, options?: RunOptions): Promise<FieldValue>;
  readonly session: InferenceSession;
  dispose(): Promise<void>;
}

/**
 * Loads a PFGM (D = 1) network that predicts the normalized Poisson field (PFGM paper Sec. 3.2,
 * thesis Ch. 7): inputs x `[B, ...image]` and z `[B]` (the augmented coordinate, > 0), outputs
 * the field's x part `[B, ...image]` and z part `[B]` (or `[B, 1]`), as in the reference code
 * `net_x, net_z = model(x, z)`. Checked against the model before the first call; chunked and
 * cancellable like {@link loadDenoiser}. `phys.kind` must be `pfgm-field` when present.
 */
export async function loadNormalizedField(source: ModelSource, options: FieldOptions = {}): Promise<OnnxNormalizedField> {
  const opened = await openModel(source, options);
  const meta = opened.metadata;
  const { session } = opened;
  try {
    if (meta.kind !== undefined && meta.kind !== 'pfgm-field') throw new ValueError('metadata phys.kind', meta.kind, "'pfgm-field'");
    const names = {
      x: options.inputX ?? meta.inputX ?? 'x',
      z: options.inputZ ?? meta.inputZ ?? 'z',
      output: options.output ?? meta.output ?? 'field_x',
      outputZ: options.outputZ ?? meta.outputZ ?? 'field_z',
    };
    const xDecl = session.inputMetadata.find((m) => m.name === names.x);
    const imageShape = options.imageShape ?? meta.imageShape ?? fixedSampleShape(xDecl?.isTensor === true && xDecl.shape.length > 0 ? xDecl.shape : undefined);
    const image = imageShape === undefined ? 'batch-first' : [['B', ...imageShape] as (number | 'B')[]];
    const describe = imageShape === undefined ? '[B, ...]' : formatShape(['B', ...imageShape] as never);
    const matched = checkSignature(opened, [
      { role: 'input', name: names.x, shapes: image, describe },
      { role: 'input', name: names.z, shapes: [['B'], ['B', 1]], describe: '[B] or [B, 1]' },
      { role: 'output', name: names.output, shapes: image, describe },
      { role: 'output', name: names.outputZ, shapes: [['B'], ['B', 1]], describe: '[B] or [B, 1]' },
    ]);
    if (imageShape === undefined) throw new ValueError('imageShape', undefined, `the sample shape: set phys.image_shape in ${opened.source} or options.imageShape`);
    const mx = getMatched(matched, 'input', names.x);
    const mz = getMatched(matched, 'input', names.z);
    const mo = getMatched(matched, 'output', names.output);
    const moz = getMatched(matched, 'output', names.outputZ);
    const fixedBatch = mx.fixedBatch ?? mz.fixedBatch ?? mo.fixedBatch ?? moz.fixedBatch;
    const chunkSize = checkChunkSize(options.chunkSize);
    const valueRange = options.valueRange ?? meta.valueRange ?? ([-1, 1] as const);
    const info: FieldInfo = {
      source: opened.source,
      imageShape: Object.freeze([...imageShape]),
      valueRange: [valueRange[0], valueRange[1]],
      names,
      types: { x: mx.type, z: mz.type, output: mo.type, outputZ: moz.type },
      fixedBatch,
      chunkSize,
      fixedShape: options.fixedShape ?? false,
      threads: opened.threads,
      metadata: meta,
      provenance: meta.provenance,
    };
    const rowSize = shapeSize(imageShape);
    const checkOutput = options.checkFinite ?? true;
    const zDims = (rows: number): number[] => (mz.shape.length === 2 ? [rows, 1] : [rows]);
    const ozDims = (rows: number): number[] => (moz.shape.length === 2 ? [rows, 1] : [rows]);

    const evaluate = async (x: Tensor, z: Float64Array, runOptions: RunOptions = {}): Promise<FieldValue> => {
      if (!(x instanceof Tensor)) throw new ValueError('x', x, 'a Tensor');
      if (x.shape.length !== imageShape.length + 1 || x.shape.some((d, i) => i > 0 && d !== imageShape[i - 1])) {
        throw new ShapeError('x', describe, formatShape(x.shape));
      }
      const rows = x.rows;
      checkNoiseLevels(z, rows, 'z');
      const outX = Tensor.zeros(x.shape, x.dtype);
      const outZ = new Float64Array(rows);
      const { rowsPerCall, padTo } = callRows(fixedBatch, checkChunkSize(runOptions.chunkSize ?? chunkSize), info.fixedShape);
      await forEachChunk(planChunks(rows, rowsPerCall), runOptions, async ({ start, end }) => {
        const n = end - start;
        const runRows = padTo ?? n;
        const xs = x.sliceRows(start, end);
        const xv = xs.readData();
        const xFeed = runRows === n && isType(xv, info.types.x) ? xv : allocateTyped(info.types.x, runRows * rowSize);
        if (xFeed !== xv) copyInto(xFeed, xv);
        const zFeed = allocateTyped(info.types.z, runRows);
        for (let i = 0; i < runRows; i++) zFeed[i] = z[start + Math.min(i, n - 1)]!;
        const outRows = outX.sliceRows(start, end);
        const outArray = runRows === n ? outRows.writeData() : undefined;
        const direct = outArray !== undefined && isType(outArray, info.types.output);
        const fetchX = direct ? outArray : allocateTyped(info.types.output, runRows * rowSize);
        const fetchZ = allocateTyped(info.types.outputZ, runRows);
        const dims = [runRows, ...imageShape];
        await runSession(
          session,
          info.source,
          { [names.x]: wrapTyped(info.types.x, xFeed, dims), [names.z]: wrapTyped(info.types.z, zFeed, zDims(runRows)) },
          { [names.output]: wrapTyped(info.types.output, fetchX, dims), [names.outputZ]: wrapTyped(info.types.outputZ, fetchZ, ozDims(runRows)) },
        );
        if (!direct) copyInto(outArray ?? outRows.writeData(), fetchX.subarray(0, n * rowSize));
        for (let i = 0; i < n; i++) outZ[start + i] = fetchZ[i]!;
        if (checkOutput) {
          assertFinite(outRows.readData(), `output '${names.output}' of ${info.source}`, `rows ${start}..${end - 1}`);
          assertFinite(outZ.subarray(start, end), `output '${names.outputZ}' of ${info.source}`, `rows ${start}..${end - 1}`);
        }
      });
      return { vx: outX, vz: outZ };
    };

    const fn = ((x: Tensor, z: Float64Array) => evaluate(x, z, { signal: options.signal })) as OnnxNormalizedField;
    return Object.assign(fn, { info, session, evaluate, dispose: () => session.release() });
  } catch (e) {
    await session.release();
    throw e;
  }
}
