import {
  ShapeError,
  Tensor,
  assertFinite,
  assertSameShape,
  ValueError,
  formatShape,
  getBackend,
  shapeSize,
  type Denoiser,
  type TensorData,
} from '@phys/tensor';
import type { InferenceSession } from 'onnxruntime-common';
import type { KernelKind, NoiseInput, Parameterization, PhysMetadata } from './metadata.js';
import { rowCoefficients, type PrecondConfig, type RowCoefficients } from './precond.js';
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
import {
  checkSignature,
  fixedSampleShape,
  getMatched,
  openModel,
  type FloatType,
  type MatchedTensor,
  type ModelSource,
  type OpenedModel,
  type SessionOptions,
} from './session.js';

/** Options of {@link loadDenoiser}. Each one overrides the model's `phys.*` metadata. */
export interface DenoiserOptions extends SessionOptions {
  /** How the output relates to D(x; sigma). Required when the model has no `phys.parameterization`. */
  parameterization?: Parameterization;
  /** The training kernel (default: `pfgmpp` when D is finite, `vp` for eps/v, else `edm`). */
  kernel?: KernelKind;
  /** PFGM++ augmented dimensions (required for `pfgmpp`; Infinity for Gaussian kernels). */
  D?: number;
  /** sigma_data of `edm-raw` and `v` (defaults 0.5 and 1). */
  sigmaData?: number;
  /** Smallest noise level the model was trained for (informational; samplers use it). */
  sigmaMin?: number;
  /** Largest noise level the model was trained for (informational; samplers use it). */
  sigmaMax?: number;
  /** One sample's shape without the batch, e.g. `[1, 28, 28]` (default: metadata, else the model's fixed dims). */
  imageShape?: readonly number[];
  /** The data range the model works in (default `[-1, 1]`). */
  valueRange?: readonly [number, number];
  /** Input name of x (default `x`). */
  inputX?: string;
  /** Input name of the noise level (default `sigma`). */
  inputSigma?: string;
  /** Output name (default `denoised`). */
  output?: string;
  /** Noise input of raw parameterisations (default `edm` for `edm-raw`, `vp` for `eps`/`v`). */
  noiseInput?: NoiseInput;
  /**
   * VP constants for `noiseInput: 'vp'` (defaults beta_d 19.9, beta_min 0.1, M 1000).
   * `float32Reference: true` evaluates the time label in float32 like EDM's reference VPPrecond
   * (1.3% apart at sigma = 0.002), to feed a reference checkpoint exactly what it was trained with.
   */
  vp?: { betaD?: number; betaMin?: number; M?: number; float32Reference?: boolean };
  /** Rows per onnxruntime call (default 128; a model with a fixed batch size uses that). */
  chunkSize?: number;
  /**
   * Pad every call to `chunkSize` rows (default false), so the network always sees one batch
   * shape and a row's output does not depend on the batch it came in (see {@link callRows}).
   * Costs up to `chunkSize - 1` padded rows per call.
   */
  fixedShape?: boolean;
  /** Cancels calls made through the plain {@link Denoiser} function (between chunks). */
  signal?: AbortSignal;
  /** Check every output for NaN/Inf (default true; one pass over the output). */
  checkFinite?: boolean;
}

/** The kernel a denoiser was trained with: what a sampler needs for its prior and forward noise. */
export interface KernelInfo {
  readonly kind: KernelKind;
  /** PFGM++ augmented dimensions; `Infinity` for Gaussian kernels (edm, vp, ve). */
  readonly D: number;
}

/** Everything {@link loadDenoiser} resolved from the metadata, the options and the model. */
export interface DenoiserInfo {
  readonly source: string;
  readonly parameterization: Parameterization;
  readonly kernel: KernelInfo;
  readonly sigmaData: number;
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  /** One sample's shape (no batch). */
  readonly imageShape: readonly number[];
  readonly valueRange: readonly [number, number];
  /** The network's noise input (raw parameterisations only). */
  readonly noiseInput: NoiseInput | undefined;
  readonly vp: { readonly betaD: number; readonly betaMin: number; readonly M: number; readonly float32Reference: boolean };
  readonly names: { readonly x: string; readonly sigma: string; readonly output: string };
  /** Element types the model takes for x / sigma and returns. */
  readonly types: { readonly x: FloatType; readonly sigma: FloatType; readonly output: FloatType };
  /** A fixed batch size declared by the model (chunks are padded to it), else undefined. */
  readonly fixedBatch: number | undefined;
  readonly chunkSize: number;
  /** Every call is padded to `chunkSize` rows (option `fixedShape`). */
  readonly fixedShape: boolean;
  readonly threads: number;
  /** The file's parsed `phys.*` metadata (before options). */
  readonly metadata: PhysMetadata;
  /** `phys.provenance` of the file, if any. */
  readonly provenance: string | undefined;
}

/** Per-call options of {@link OnnxDenoiser.denoise}. */
export interface DenoiseOptions extends RunOptions {
  /**
   * Write D(x; sigma) into this tensor (shape and dtype of `x`, not aliasing `x`) instead of a new
   * one: saves the allocation of a fresh output per call in loops that keep their own buffers.
   */
  out?: Tensor;
}

/**
 * An ONNX model as a {@link Denoiser}: call it as `model(x, sigma)` (the EDM contract, thesis
 * Alg. 13/14), or `model.denoise(x, sigma, { signal, onChunk })` for per-call cancellation.
 */
export interface OnnxDenoiser extends Denoiser {
  readonly info: DenoiserInfo;
  /** D(x; sigma) with per-call options. Returns a new tensor with x's shape and dtype. */
  denoise(x: Tensor, sigma: Float64Array, options?: DenoiseOptions): Promise<Tensor>;
  /** The onnxruntime session (advanced use). */
  readonly session: InferenceSession;
  /** Releases the session. */
  dispose(): Promise<void>;
}

const DEFAULT_VP = { betaD: 19.9, betaMin: 0.1, M: 1000 };

function defaultSigmaRange(kernel: KernelKind): [number, number] {
  if (kernel === 'vp') return [0.001, 152];
  if (kernel === 've') return [0.02, 100];
  return [0.002, 80];
}

function positive(value: number | undefined, argument: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(value > 0 && Number.isFinite(value))) throw new ValueError(argument, value, 'a finite number > 0');
  return value;
}

/** Resolves options over metadata over defaults (no model needed; exported for tests and tools). */
export function resolveDenoiserConfig(meta: PhysMetadata, options: DenoiserOptions) {
  if (meta.kind !== undefined && meta.kind !== 'denoiser') {
    throw new ValueError('metadata phys.kind', meta.kind, `'denoiser' (this file is a ${meta.kind}; use ${meta.kind === 'classifier' ? 'loadClassifier' : meta.kind === 'pfgm-field' ? 'loadNormalizedField' : 'another loader'})`);
  }
  const parameterization = options.parameterization ?? meta.parameterization;
  if (parameterization === undefined) {
    throw new ValueError('parameterization', undefined, "one of 'edm' | 'edm-raw' | 'eps' | 'v': set phys.parameterization in the model's metadata or pass options.parameterization");
  }
  if (parameterization === 'velocity') throw new ValueError('parameterization', parameterization, "a denoiser parameterisation: velocity models load with loadVelocityModel (its .denoiser is the sigma conversion)");
  if (!['edm', 'edm-raw', 'eps', 'v'].includes(parameterization)) throw new ValueError('parameterization', parameterization, "one of 'edm' | 'edm-raw' | 'eps' | 'v'");
  const Dopt = options.D ?? meta.D;
  if (Dopt !== undefined && !(Dopt > 0)) throw new ValueError('D', Dopt, 'a number > 0 (or Infinity)');
  const kernel: KernelKind =
    options.kernel ?? meta.kernel ?? (Dopt !== undefined && Number.isFinite(Dopt) ? 'pfgmpp' : parameterization === 'eps' || parameterization === 'v' ? 'vp' : 'edm');
  if (!['edm', 'pfgmpp', 'vp', 've'].includes(kernel)) throw new ValueError('kernel', kernel, "one of 'edm' | 'pfgmpp' | 'vp' | 've'");
  let D: number;
  if (kernel === 'pfgmpp') {
    if (Dopt === undefined) throw new ValueError('D', undefined, 'the PFGM++ augmented dimension D (phys.D or options.D) for kernel pfgmpp');
    D = Dopt;
  } else {
    if (Dopt !== undefined && Number.isFinite(Dopt)) throw new ValueError('D', Dopt, `Infinity for the Gaussian kernel '${kernel}' (a finite D needs kernel 'pfgmpp')`);
    D = Infinity;
  }
  const sigmaData = positive(options.sigmaData, 'sigmaData') ?? meta.sigmaData ?? (parameterization === 'v' ? 1 : 0.5);
  const [dMin, dMax] = defaultSigmaRange(kernel);
  const sigmaMin = options.sigmaMin ?? meta.sigmaMin ?? dMin;
  const sigmaMax = positive(options.sigmaMax, 'sigmaMax') ?? meta.sigmaMax ?? dMax;
  if (!(sigmaMin >= 0 && sigmaMin < sigmaMax)) throw new ValueError('sigmaMin', sigmaMin, `a number in [0, sigmaMax = ${sigmaMax})`);
  const noiseInput: NoiseInput | undefined =
    parameterization === 'edm' ? undefined : (options.noiseInput ?? meta.noiseInput ?? (parameterization === 'edm-raw' ? 'edm' : 'vp'));
  if (noiseInput !== undefined && !['edm', 've', 'vp', 'sigma'].includes(noiseInput)) throw new ValueError('noiseInput', noiseInput, "one of 'edm' | 've' | 'vp' | 'sigma'");
  const vp = {
    betaD: positive(options.vp?.betaD, 'vp.betaD') ?? meta.vpBetaD ?? DEFAULT_VP.betaD,
    betaMin: positive(options.vp?.betaMin, 'vp.betaMin') ?? meta.vpBetaMin ?? DEFAULT_VP.betaMin,
    M: positive(options.vp?.M, 'vp.M') ?? meta.vpM ?? DEFAULT_VP.M,
    float32Reference: options.vp?.float32Reference ?? false,
  };
  const valueRange = options.valueRange ?? meta.valueRange ?? ([-1, 1] as const);
  if (!(Number.isFinite(valueRange[0]) && Number.isFinite(valueRange[1]) && valueRange[0] < valueRange[1])) throw new ValueError('valueRange', valueRange, '[lo, hi] with lo < hi');
  if (options.imageShape !== undefined && !(options.imageShape.length > 0 && options.imageShape.every((d) => Number.isInteger(d) && d > 0))) {
    throw new ValueError('imageShape', options.imageShape, 'positive integer dimensions, e.g. [1, 28, 28]');
  }
  return {
    parameterization,
    kernel: { kind: kernel, D } as KernelInfo,
    sigmaData,
    sigmaMin,
    sigmaMax,
    noiseInput,
    vp,
    valueRange: [valueRange[0], valueRange[1]] as const,
    imageShape: options.imageShape ?? meta.imageShape,
    names: { x: options.inputX ?? meta.inputX ?? 'x', sigma: options.inputSigma ?? meta.inputSigma ?? 'sigma', output: options.output ?? meta.output ?? 'denoised' },
  };
}

/** The dims onnxruntime gets for a per-row noise input with `rows` rows, following the matched pattern. */
/** Whether two arrays share memory: the same buffer and overlapping byte ranges (tensors resident in one WebAssembly memory share its buffer without overlapping). */
function overlaps(a: TensorData, b: TensorData): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

function noiseDims(m: MatchedTensor, rows: number): number[] {
  return m.shape.map((p) => (p === 'B' ? rows : typeof p === 'number' ? p : 1));
}

/** Resolves the image shape and checks the model's signature against it (before any call). */
function prepare(opened: OpenedModel, options: DenoiserOptions) {
  const cfg = resolveDenoiserConfig(opened.metadata, options);
  const { session } = opened;
  const xDecl = session.inputMetadata.find((m) => m.name === cfg.names.x);
  const imageShape = cfg.imageShape ?? fixedSampleShape(xDecl?.isTensor === true && xDecl.shape.length > 0 ? xDecl.shape : undefined);
  const ones = (k: number): 1[] => new Array<1>(k).fill(1);
  const sigmaShapes: (number | 'B' | '*')[][] = [['B']];
  for (let k = 1; k <= (imageShape?.length ?? 0); k++) sigmaShapes.push(['B', ...ones(k)]);
  const image = imageShape === undefined ? 'batch-first' : [['B', ...imageShape] as (number | 'B')[]];
  const describe = imageShape === undefined ? '[B, ...]' : formatShape(['B', ...imageShape] as never);
  const matched = checkSignature(opened, [
    { role: 'input', name: cfg.names.x, shapes: image, describe },
    { role: 'input', name: cfg.names.sigma, shapes: sigmaShapes, describe: `[B] (or [B, 1, ...])` },
    { role: 'output', name: cfg.names.output, shapes: image, describe },
  ]);
  // The names and types are right; a symbolic sample shape still needs to be given.
  if (imageShape === undefined) {
    throw new ValueError('imageShape', undefined, `the sample shape: '${cfg.names.x}' of ${opened.source} has symbolic dimensions; set phys.image_shape in the model or options.imageShape`);
  }
  return {
    cfg,
    imageShape,
    x: getMatched(matched, 'input', cfg.names.x),
    sigma: getMatched(matched, 'input', cfg.names.sigma),
    out: getMatched(matched, 'output', cfg.names.output),
  };
}

/**
 * Loads an ONNX denoiser and returns it as a {@link Denoiser} D(x; sigma) (EDM convention; thesis
 * Alg. 13, and Alg. 14 for PFGM++ whose networks take sigma = r/sqrt(D)). The parameterisation,
 * kernel, sigma range and image shape come from the file's `phys.*` metadata (see the README),
 * each overridden by `options`. The model's inputs and outputs are checked here, before any call:
 * a mismatch throws {@link ModelSignatureError} listing expected vs found names, shapes and types.
 *
 * Calls split the batch into chunks (`chunkSize` rows, default 128) and can be cancelled between
 * chunks. Hot path: a float32 `x` is handed to onnxruntime without a copy and the output is
 * written straight into the result (`edm`); raw parameterisations use one scratch buffer for
 * c_in x and combine D = c_skip x + c_out F in place. float64 tensors are converted once.
 *
 * @example
 * const model = await loadDenoiser('model.onnx');            // phys.* metadata says the rest
 * const out = await heunSample(model, prior, edmSchedule({ steps: 18 }));
 */
export async function loadDenoiser(source: ModelSource, options: DenoiserOptions = {}): Promise<OnnxDenoiser> {
  const opened = await openModel(source, options);
  let prep: ReturnType<typeof prepare>;
  try {
    prep = prepare(opened, options);
  } catch (e) {
    await opened.session.release();
    throw e;
  }
  const { cfg, imageShape } = prep;
  const chunkSize = checkChunkSize(options.chunkSize);
  const fixedBatch = prep.x.fixedBatch ?? prep.sigma.fixedBatch ?? prep.out.fixedBatch;
  const info: DenoiserInfo = {
    source: opened.source,
    parameterization: cfg.parameterization,
    kernel: cfg.kernel,
    sigmaData: cfg.sigmaData,
    sigmaMin: cfg.sigmaMin,
    sigmaMax: cfg.sigmaMax,
    imageShape: Object.freeze([...imageShape]),
    valueRange: cfg.valueRange,
    noiseInput: cfg.noiseInput,
    vp: cfg.vp,
    names: cfg.names,
    types: { x: prep.x.type, sigma: prep.sigma.type, output: prep.out.type },
    fixedBatch,
    chunkSize,
    fixedShape: options.fixedShape ?? false,
    threads: opened.threads,
    metadata: opened.metadata,
    provenance: opened.metadata.provenance,
  };
  const precond: PrecondConfig | undefined = cfg.noiseInput === undefined ? undefined : { sigmaData: cfg.sigmaData, noiseInput: cfg.noiseInput, vp: cfg.vp };
  const rowSize = shapeSize(imageShape);
  const scalarSigma = prep.sigma.dims !== undefined && prep.sigma.dims.length === 0;
  const checkOutput = options.checkFinite ?? true;
  const { session } = opened;
  const outputLabel = `output '${cfg.names.output}' of ${info.source}`;

  async function denoise(x: Tensor, sigma: Float64Array, runOptions: DenoiseOptions = {}): Promise<Tensor> {
    if (!(x instanceof Tensor)) throw new ValueError('x', x, 'a Tensor');
    if (x.shape.length !== imageShape.length + 1 || x.shape.some((d, i) => i > 0 && d !== imageShape[i - 1])) {
      throw new ShapeError('x', formatShape(['B', ...imageShape] as never), formatShape(x.shape));
    }
    const rows = x.rows;
    checkNoiseLevels(sigma, rows, 'sigma');
    const given = runOptions.out;
    if (given !== undefined) {
      if (!(given instanceof Tensor)) throw new ValueError('out', given, 'a Tensor');
      if (given.dtype !== x.dtype) throw new ValueError('out.dtype', given.dtype, `${x.dtype} (the dtype of x)`);
      assertSameShape(x, given, 'x', 'out');
      if (overlaps(given.readData(), x.readData())) throw new ValueError('out', 'a view of x', 'a tensor that does not share memory with x');
    }
    // On a device backend the result is a device tensor: filled through writeData, it crosses once.
    const backend = getBackend();
    const out = given ?? (backend.location === 'device' ? backend.zeros(x.shape, x.dtype) : Tensor.zeros(x.shape, x.dtype));
    if (rows === 0) return out;
    const { rowsPerCall, padTo } = callRows(fixedBatch, checkChunkSize(runOptions.chunkSize ?? chunkSize), info.fixedShape);
    const coef: RowCoefficients | undefined = precond && cfg.parameterization !== 'edm' ? rowCoefficients(cfg.parameterization, sigma, precond) : undefined;
    const noiseValues = coef ? coef.cNoise : sigma;
    const chunks = planChunks(rows, rowsPerCall, scalarSigma ? sigma : undefined);
    await forEachChunk(chunks, runOptions, async ({ start, end }) => {
      const n = end - start;
      const runRows = padTo ?? n;
      const whole = start === 0 && end === rows;
      const xs = whole ? x : x.sliceRows(start, end);
      // x: zero copy when the model takes our dtype and no c_in scaling or padding is needed. Read
      // with readData (and the output filled through writeData), a device backend copies x to the
      // host and the result back once per call (docs: @phys/backend-cuda README).
      let xFeed: TensorData;
      if (coef) {
        xFeed = allocateTyped(info.types.x, runRows * rowSize);
        backend.scaleRows(xs, coef.cIn.subarray(start, end), new Tensor(xFeed.subarray(0, n * rowSize), xs.shape));
      } else {
        const xv = xs.readData();
        xFeed = runRows === n && isType(xv, info.types.x) ? xv : allocateTyped(info.types.x, runRows * rowSize);
        if (xFeed !== xv) copyInto(xFeed, xv);
      }
      // One noise value per row (dims [B] or [B, 1, ...]); padded rows repeat the last one.
      const sDims = scalarSigma ? [] : noiseDims(prep.sigma, runRows);
      const sFeed = allocateTyped(info.types.sigma, scalarSigma ? 1 : runRows);
      for (let i = 0; i < sFeed.length; i++) sFeed[i] = noiseValues[start + Math.min(i, n - 1)]!;
      // Output: written by onnxruntime straight into the result when types and rows match.
      const outRows = whole ? out : out.sliceRows(start, end);
      const outArray = runRows === n ? outRows.writeData() : undefined;
      const direct = outArray !== undefined && isType(outArray, info.types.output);
      const fetchBuf = direct ? outArray : allocateTyped(info.types.output, runRows * rowSize);
      const dims = [runRows, ...imageShape];
      await runSession(session, info.source, { [cfg.names.x]: wrapTyped(info.types.x, xFeed, dims), [cfg.names.sigma]: wrapTyped(info.types.sigma, sFeed, sDims) }, { [cfg.names.output]: wrapTyped(info.types.output, fetchBuf, dims) });
      const F = direct ? outRows : new Tensor(fetchBuf.subarray(0, n * rowSize), xs.shape);
      // EDM Eq. 7 / thesis Alg. 13: D = c_skip x + c_out F (in place when F is the result).
      if (coef) backend.lincomb([[coef.cSkip.subarray(start, end), xs], [coef.cOut.subarray(start, end), F]], outRows);
      else if (!direct) copyInto(outArray ?? outRows.writeData(), F.data);
      if (checkOutput) assertFinite(outRows.readData(), outputLabel, `rows ${start}..${end - 1}, flat index within the chunk`);
    });
    return out;
  }

  const fn = ((x: Tensor, sigma: Float64Array) => denoise(x, sigma, { signal: options.signal })) as OnnxDenoiser;
  return Object.assign(fn, {
    info,
    session,
    denoise,
    dispose: () => session.release(),
  });
}
