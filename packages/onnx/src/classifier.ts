import { ShapeError, Tensor, ValueError, assertFinite, formatShape, shapeSize, type TensorData } from '@phys/tensor';
import type { InferenceSession } from 'onnxruntime-common';
import { ModelSignatureError } from './errors.js';
import type { PhysMetadata } from './metadata.js';
import { allocateTyped, callRows, checkChunkSize, copyInto, forEachChunk, isType, planChunks, runSession, wrapTyped, type RunOptions } from './run.js';
import {
  checkSignature,
  declaredSignature,
  fixedSampleShape,
  formatSignature,
  getMatched,
  openModel,
  type FloatType,
  type MatchedTensor,
  type ModelSource,
  type SessionOptions,
  type TensorRequirement,
} from './session.js';

/** A batch of images to one feature row per image: `[B, ...image]` -> `[B, ...features]`. */
export type FeatureExtractor = (x: Tensor, options?: RunOptions) => Promise<Tensor>;

/** Options of {@link loadClassifier}; each overrides the model's `phys.*` metadata. */
export interface ClassifierOptions extends SessionOptions {
  /** One sample's shape without the batch (default: metadata, else the model's fixed dims). */
  imageShape?: readonly number[];
  /** The range the model expects its input in (default: `phys.value_range`, else `[-1, 1]`). */
  valueRange?: readonly [number, number];
  /**
   * The range of the tensors you pass (default: the model's `valueRange`). When it differs,
   * inputs are mapped affinely onto the model's range during the one conversion pass.
   */
  inputRange?: readonly [number, number];
  /** Input name (default `x`). */
  inputX?: string;
  /** Logits output (default `phys.output_logits`, else `logits`). */
  outputLogits?: string;
  /** Penultimate-features output (default `phys.output_features`, else `features`). */
  outputFeatures?: string;
  /** Rows per onnxruntime call (default 128). */
  chunkSize?: number;
  /**
   * Pad every call to `chunkSize` rows (default false), so the network always sees one batch
   * shape and a row's output does not depend on the batch it came in (see {@link callRows}).
   * Costs up to `chunkSize - 1` padded rows per call.
   */
  fixedShape?: boolean;
  /** Check outputs for NaN/Inf (default true). */
  checkFinite?: boolean;
}

/** What {@link loadClassifier} resolved. */
export interface ClassifierInfo {
  readonly source: string;
  readonly imageShape: readonly number[];
  readonly valueRange: readonly [number, number];
  readonly inputRange: readonly [number, number];
  /** Output names; `undefined` for an output the model does not have. */
  readonly names: { readonly x: string; readonly logits: string | undefined; readonly features: string | undefined };
  readonly types: { readonly x: FloatType };
  readonly fixedBatch: number | undefined;
  readonly chunkSize: number;
  /** Every call is padded to `chunkSize` rows (option `fixedShape`). */
  readonly fixedShape: boolean;
  readonly threads: number;
  readonly metadata: PhysMetadata;
  readonly provenance: string | undefined;
}

/** The outputs of one {@link OnnxClassifier.run}. */
export interface ClassifierOutputs {
  readonly logits?: Tensor;
  readonly features?: Tensor;
}

/** A classifier as logits and feature extractors (one model, one session). */
export interface OnnxClassifier {
  readonly info: ClassifierInfo;
  /** Logits `[B, classes]`; throws when the model has no logits output. */
  readonly logits: FeatureExtractor;
  /** Penultimate features `[B, ...]` (e.g. for a classifier-feature Frechet distance). */
  readonly features: FeatureExtractor;
  /** Both outputs in one pass (each present when the model has it). */
  run(x: Tensor, options?: RunOptions): Promise<ClassifierOutputs>;
  readonly session: InferenceSession;
  dispose(): Promise<void>;
}

/**
 * Loads an ONNX image classifier as feature extractors: `logits(x)` and `features(x)` (the
 * penultimate layer, which a classifier-feature Frechet distance uses). Input `[B, ...image]` in
 * the model's `valueRange`; with `inputRange` the data are mapped onto it. Outputs keep their
 * declared trailing dims and the dtype of `x`. Names and shapes are checked before the first call:
 * explicitly named outputs (option or metadata) must exist; with default names at least one of
 * `logits` / `features` must.
 */
export async function loadClassifier(source: ModelSource, options: ClassifierOptions = {}): Promise<OnnxClassifier> {
  const opened = await openModel(source, options);
  const { session } = opened;
  const meta = opened.metadata;
  try {
    if (meta.kind !== undefined && meta.kind !== 'classifier') throw new ValueError('metadata phys.kind', meta.kind, "'classifier'");
    const xName = options.inputX ?? meta.inputX ?? 'x';
    const explicitLogits = options.outputLogits ?? meta.outputLogits;
    const explicitFeatures = options.outputFeatures ?? meta.outputFeatures;
    const { outputs } = declaredSignature(session);
    const has = (n: string): boolean => outputs.some((o) => o.name === n);
    const logitsName = explicitLogits ?? (has('logits') ? 'logits' : undefined);
    const featuresName = explicitFeatures ?? (has('features') ? 'features' : undefined);
    if (logitsName === undefined && featuresName === undefined) {
      throw new ModelSignatureError(
        opened.source,
        [
          { role: 'output', name: 'logits', expected: 'float32 or float64 [B, ...] (or name it: phys.output_logits / options.outputLogits)', found: 'missing' },
          { role: 'output', name: 'features', expected: 'float32 or float64 [B, ...] (or name it: phys.output_features / options.outputFeatures)', found: 'missing' },
        ],
        formatSignature(session),
      );
    }
    const xDecl = session.inputMetadata.find((m) => m.name === xName);
    const imageShape = options.imageShape ?? meta.imageShape ?? fixedSampleShape(xDecl?.isTensor === true && xDecl.shape.length > 0 ? xDecl.shape : undefined);
    const image = imageShape === undefined ? 'batch-first' : [['B', ...imageShape] as (number | 'B')[]];
    const describe = imageShape === undefined ? '[B, ...]' : formatShape(['B', ...imageShape] as never);
    const outShapes: (number | 'B' | '*')[][] = [1, 2, 3, 4].map((k) => ['B', ...new Array<'*'>(k).fill('*')]);
    const reqs: TensorRequirement[] = [{ role: 'input', name: xName, shapes: image, describe }];
    for (const n of [logitsName, featuresName]) if (n !== undefined) reqs.push({ role: 'output', name: n, shapes: outShapes, describe: '[B, ...] (batch first, rank 2 to 5)' });
    const matched = checkSignature(opened, reqs);
    if (imageShape === undefined) throw new ValueError('imageShape', undefined, `the sample shape: set phys.image_shape in ${opened.source} or options.imageShape`);
    const mx = getMatched(matched, 'input', xName);
    const outMatches: MatchedTensor[] = [logitsName, featuresName].filter((n): n is string => n !== undefined).map((n) => getMatched(matched, 'output', n));
    const fixedBatch = mx.fixedBatch ?? outMatches.find((m) => m.fixedBatch !== undefined)?.fixedBatch;
    const valueRange = options.valueRange ?? meta.valueRange ?? ([-1, 1] as const);
    const inputRange = options.inputRange ?? valueRange;
    for (const [arg, r] of [['valueRange', valueRange], ['inputRange', inputRange]] as const) {
      if (!(Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] < r[1])) throw new ValueError(arg, r, '[lo, hi] with lo < hi');
    }
    const chunkSize = checkChunkSize(options.chunkSize);
    const info: ClassifierInfo = {
      source: opened.source,
      imageShape: Object.freeze([...imageShape]),
      valueRange: [valueRange[0], valueRange[1]],
      inputRange: [inputRange[0], inputRange[1]],
      names: { x: xName, logits: logitsName, features: featuresName },
      types: { x: mx.type },
      fixedBatch,
      chunkSize,
      fixedShape: options.fixedShape ?? false,
      threads: opened.threads,
      metadata: meta,
      provenance: meta.provenance,
    };
    // Affine map of the caller's range onto the model's: v -> scale*v + shift.
    const scale = (valueRange[1] - valueRange[0]) / (inputRange[1] - inputRange[0]);
    const shift = valueRange[0] - scale * inputRange[0];
    const identityMap = scale === 1 && shift === 0;
    const rowSize = shapeSize(imageShape);
    const checkOutput = options.checkFinite ?? true;

    const run = async (x: Tensor, runOptions: RunOptions = {}, want: readonly string[] = [logitsName, featuresName].filter((n): n is string => n !== undefined)): Promise<Map<string, Tensor>> => {
      if (!(x instanceof Tensor)) throw new ValueError('x', x, 'a Tensor');
      if (x.shape.length !== imageShape.length + 1 || x.shape.some((d, i) => i > 0 && d !== imageShape[i - 1])) {
        throw new ShapeError('x', describe, formatShape(x.shape));
      }
      const rows = x.rows;
      if (rows === 0) throw new ValueError('x.shape[0]', 0, 'at least one row');
      const results = new Map<string, Tensor>();
      const { rowsPerCall, padTo } = callRows(fixedBatch, checkChunkSize(runOptions.chunkSize ?? chunkSize), info.fixedShape);
      const chunks = planChunks(rows, rowsPerCall);
      await forEachChunk(chunks, runOptions, async ({ start, end }) => {
        const n = end - start;
        const runRows = padTo ?? n;
        const xs = x.sliceRows(start, end);
        const xv = xs.readData();
        let xFeed: TensorData = xv;
        if (!(identityMap && runRows === n && isType(xv, info.types.x))) {
          xFeed = allocateTyped(info.types.x, runRows * rowSize);
          if (identityMap) copyInto(xFeed, xv);
          else for (let i = 0; i < xv.length; i++) xFeed[i] = scale * xv[i]! + shift;
        }
        const got = await runSession(session, info.source, { [xName]: wrapTyped(info.types.x, xFeed, [runRows, ...imageShape]) }, Object.fromEntries(want.map((w) => [w, null])));
        for (const w of want) {
          const t = got[w]!;
          if (t.type !== 'float32' && t.type !== 'float64') throw new ValueError(`output '${w}'`, t.type, 'float32 or float64');
          const data = t.data as TensorData;
          const dims = t.dims;
          if (dims[0] !== runRows) throw new ShapeError(`output '${w}' of ${info.source}`, `[${runRows}, ...] (batch first)`, formatShape(dims));
          const perRow = dims.slice(1).reduce((a, b) => a * b, 1);
          let result = results.get(w);
          if (result === undefined) {
            // One chunk of our dtype: the onnxruntime array becomes the result without a copy.
            if (chunks.length === 1 && runRows === n && isType(data, x.dtype)) {
              results.set(w, new Tensor(data, [n, ...dims.slice(1)]));
              continue;
            }
            result = Tensor.zeros([rows, ...dims.slice(1)], x.dtype);
            results.set(w, result);
          } else if (result.rowSize !== perRow) {
            throw new ShapeError(`output '${w}' of ${info.source}`, formatShape(['B', ...result.shape.slice(1)] as never), formatShape(dims));
          }
          copyInto(result.data, data.subarray(0, n * perRow), start * perRow);
        }
      });
      if (checkOutput) for (const [w, t] of results) assertFinite(t.data, `output '${w}' of ${info.source}`, 'flat index over the batch');
      return results;
    };

    const extractor = (name: string | undefined, what: string): FeatureExtractor => {
      return async (x, runOptions) => {
        if (name === undefined) throw new ValueError(what, undefined, `an output of ${info.source} (it declares none; name it with phys.output_${what} or options.output${what === 'logits' ? 'Logits' : 'Features'})`);
        return (await run(x, runOptions, [name])).get(name)!;
      };
    };

    return {
      info,
      session,
      logits: extractor(logitsName, 'logits'),
      features: extractor(featuresName, 'features'),
      run: async (x, runOptions) => {
        const r = await run(x, runOptions);
        return {
          ...(logitsName !== undefined ? { logits: r.get(logitsName)! } : {}),
          ...(featuresName !== undefined ? { features: r.get(featuresName)! } : {}),
        };
      },
      dispose: () => session.release(),
    };
  } catch (e) {
    await session.release();
    throw e;
  }
}
