// ONNX models of DisCo-Diff: the latent-conditioned denoiser, the autoregressive prior and the
// encoder. `@phys/onnx` (and through it onnxruntime-node, or onnxruntime-web in a browser) is an
// optional peer dependency, loaded on first use, so the rest of this package never pulls in
// onnxruntime.
import { ShapeError, Tensor, ValueError, assertFinite, formatShape, type Denoiser } from '@phys/tensor';
import type * as PhysOnnx from '@phys/onnx';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-common';
import { checkCondRows } from './conditioning.js';
import { LatentModelError } from './errors.js';
import { Latents, assertSameSpace, latentSpace, type LatentSpace } from './latents.js';
import type { AutoregressivePrior } from './prior.js';

/**
 * The `phys.*` metadata keys this package adds to the `@phys/onnx` convention (ONNX
 * `metadata_props`, string values):
 * - `phys.input_latents`: name of a denoiser's latent input, int64 (or int32/float) `[B, m]`.
 * - `phys.latents_m`, `phys.latents_k`: number of latents m and codebook size k.
 * - `phys.latents_null`: the index the model reads as the null latent (default k).
 * - `phys.input_z_prefix`: a prior's input (default `z_prefix`), int64 `[B, m]`.
 * - `phys.prior_layout`: `causal-all-positions` (the only layout): the prior's output `logits`
 *   `[B, m, k]` holds at position i the logits of p(z_i | z_<i), reading only `z_prefix[:, :i]`.
 * - `phys.kind = latent-encoder`: an encoder E_phi, input `x`, output `logits` `[B, m, k]`.
 */
export const LATENT_METADATA_KEYS = [
  'phys.input_latents',
  'phys.latents_m',
  'phys.latents_k',
  'phys.latents_null',
  'phys.input_z_prefix',
  'phys.prior_layout',
] as const;

type OnnxModule = typeof PhysOnnx;
type Session = InferenceSession;
type ValueMetadata = InferenceSession.ValueMetadata;

async function loadOnnx(what: string): Promise<OnnxModule> {
  try {
    return await import('@phys/onnx');
  } catch (e) {
    throw new LatentModelError(what, `loading ONNX models needs the optional peer dependency @phys/onnx (npm install @phys/onnx): ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Options shared by the loaders of this module. */
export interface LatentModelOptions {
  /** Intra-op threads of onnxruntime (default: 1 for models under 1 MiB, as `@phys/onnx`). */
  threads?: number | 'auto';
  /** Number of latents m (overrides `phys.latents_m`). */
  m?: number;
  /** Codebook size k (overrides `phys.latents_k`). */
  k?: number;
  /** Rows per onnxruntime call (default 4096). */
  chunkSize?: number;
}

interface Opened {
  readonly session: Session;
  readonly source: string;
  readonly props: ReadonlyMap<string, string>;
  readonly onnx: OnnxModule;
}

/**
 * Opens a model through `@phys/onnx` (onnxruntime-node, or onnxruntime-web in a browser). Its
 * metadata parser knows the kinds `denoiser` and `latent-prior` and checks their `phys.*` keys;
 * for other kinds (`latent-encoder`) the session is opened with the raw `metadata_props` only.
 */
async function open(source: PhysOnnx.ModelSource, options: LatentModelOptions, what: string): Promise<Opened> {
  const onnx = await loadOnnx(what);
  const opened = await onnx.openSession(source, { threads: options.threads }, (header) => {
    const kind = header.metadata.get('phys.kind');
    if (kind === undefined || kind === 'denoiser' || kind === 'latent-prior') onnx.parsePhysMetadata(header.metadata);
  });
  return { session: opened.session, source: opened.source, props: opened.header.metadata, onnx };
}

function intProp(props: ReadonlyMap<string, string>, key: string): number | undefined {
  const v = props.get(key);
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (!(Number.isInteger(n) && n >= 0)) throw new ValueError(`metadata ${key}`, v, 'a non-negative integer');
  return n;
}

function resolveSpace(o: Opened, options: LatentModelOptions): LatentSpace {
  const m = options.m ?? intProp(o.props, 'phys.latents_m');
  const k = options.k ?? intProp(o.props, 'phys.latents_k');
  if (m === undefined || k === undefined) {
    throw new LatentModelError(o.source, `the latent space is unknown: set phys.latents_m and phys.latents_k in the model's metadata or pass options.m and options.k (found m = ${String(m)}, k = ${String(k)})`);
  }
  return latentSpace(m, k);
}

function signature(session: Session): string {
  const fmt = (m: ValueMetadata) => (m.isTensor ? `'${m.name}': ${m.type} [${m.shape.join(', ')}]` : `'${m.name}': non-tensor`);
  return [...session.inputMetadata.map((m) => `input ${fmt(m)}`), ...session.outputMetadata.map((m) => `output ${fmt(m)}`)].join('; ');
}

type IntType = 'int64' | 'int32' | 'float32' | 'float64';

/** Finds a declared input/output or throws naming what the model does have. */
function declared(o: Opened, role: 'input' | 'output', name: string, why: string): ValueMetadata {
  const list = role === 'input' ? o.session.inputMetadata : o.session.outputMetadata;
  const t = list.find((d) => d.name === name);
  if (t === undefined) throw new LatentModelError(o.source, `${why}: the model has no ${role} '${name}' (it declares ${signature(o.session)})`);
  return t;
}

/** Checks a declared `[B, m]` (or `[B, m, k]`) shape's fixed dims. */
function checkDims(o: Opened, t: ValueMetadata, expected: readonly number[], what: string): void {
  if (!t.isTensor || t.shape.length === 0) return;
  const dims = t.shape;
  const bad = dims.length !== expected.length + 1 || expected.some((e, i) => typeof dims[i + 1] === 'number' && dims[i + 1] !== e);
  if (bad) {
    throw new LatentModelError(o.source, `${what} '${t.name}' declares shape [${dims.join(', ')}], expected ${formatShape(['B', ...expected] as never)} for m = ${expected[0]!}${expected.length > 1 ? `, k = ${expected[1]!}` : ''}`);
  }
}

function indexType(o: Opened, t: ValueMetadata): IntType {
  const type = t.isTensor ? t.type : 'non-tensor';
  if (type === 'int64' || type === 'int32' || type === 'float32' || type === 'float64') return type;
  throw new LatentModelError(o.source, `latent input '${t.name}' has element type ${type}; expected int64, int32, float32 or float64`);
}

function latentTensor(onnx: OnnxModule, type: IntType, z: Latents, start: number, end: number, nullIndex: number): OrtTensor {
  const { m, k } = z.space;
  const n = (end - start) * m;
  const src = z.indices.subarray(start * m, end * m);
  const map = (v: number) => (v === k ? nullIndex : v);
  if (type === 'int64') {
    const d = new BigInt64Array(n);
    for (let j = 0; j < n; j++) d[j] = BigInt(map(src[j]!));
    return onnx.ortTensor('int64', d, [end - start, m]);
  }
  if (type === 'int32') return onnx.ortTensor('int32', Int32Array.from(src, map), [end - start, m]);
  if (type === 'float64') return onnx.ortTensor('float64', Float64Array.from(src, map), [end - start, m]);
  return onnx.ortTensor('float32', Float32Array.from(src, map), [end - start, m]);
}

function floatType(o: Opened, t: ValueMetadata): 'float32' | 'float64' {
  const type = t.isTensor ? t.type : 'non-tensor';
  if (type === 'float32' || type === 'float64') return type;
  throw new LatentModelError(o.source, `'${t.name}' has element type ${type}; expected float32 or float64`);
}

function floatTensor(onnx: OnnxModule, type: 'float32' | 'float64', data: ArrayLike<number>, dims: readonly number[]): OrtTensor {
  return type === 'float64' ? onnx.ortTensor('float64', Float64Array.from(data), dims) : onnx.ortTensor('float32', data instanceof Float32Array ? data : Float32Array.from(data), dims);
}

/**
 * Runs the session with a preallocated output (onnxruntime-node then writes into our array, which
 * also keeps Jest's separate realm from rejecting the typed arrays onnxruntime would create;
 * `runSession` copies onnxruntime-web's result into it).
 */
async function run(o: Opened, feeds: Record<string, OrtTensor>, output: string, type: 'float32' | 'float64', dims: readonly number[]): Promise<OrtTensor> {
  const size = dims.reduce((a, b) => a * b, 1);
  const fetch = type === 'float64' ? o.onnx.ortTensor('float64', new Float64Array(size), dims) : o.onnx.ortTensor('float32', new Float32Array(size), dims);
  await o.onnx.runSession(o.session, o.source, feeds, { [output]: fetch }, `expected output '${output}' ${type} [${dims.join(', ')}]`);
  return fetch;
}

function chunkRows(options: LatentModelOptions): number {
  const c = options.chunkSize ?? 4096;
  if (!(Number.isInteger(c) && c >= 1)) throw new ValueError('chunkSize', c, 'an integer >= 1');
  return c;
}

// ------------------------------------------------------------------ denoiser

/** Options of {@link loadLatentDenoiser}; each overrides the model's metadata. */
export interface LatentDenoiserOptions extends LatentModelOptions {
  /** Name of the latent input (overrides `phys.input_latents`). */
  inputLatents?: string;
  /** Index the model reads as the null latent (overrides `phys.latents_null`; default k). */
  nullIndex?: number;
  /** Input names and output name (override `phys.input_x`, `phys.input_sigma`, `phys.output`). */
  inputX?: string;
  inputSigma?: string;
  output?: string;
}

/** What {@link loadLatentDenoiser} resolved. */
export interface LatentDenoiserInfo {
  readonly source: string;
  readonly space: LatentSpace;
  readonly names: { readonly x: string; readonly sigma: string; readonly latents: string; readonly output: string };
  readonly nullIndex: number;
  /** Sample shape without the batch (from `phys.image_shape` or the model's fixed dims). */
  readonly sampleShape: readonly number[];
  /** The model's `phys.sigma_min`, `phys.sigma_max`, `phys.sigma_data` (EDM defaults 0.002, 80, 0.5). */
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  readonly sigmaData: number;
  /** `phys.kernel` and `phys.D` (Infinity for Gaussian kernels). */
  readonly kernel: string;
  readonly D: number;
  readonly provenance: string | undefined;
}

/** A latent-conditioned ONNX denoiser D(x; sigma, z): a {@link Denoiser} over {@link Latents}. */
export interface OnnxLatentDenoiser extends Denoiser<Latents> {
  readonly info: LatentDenoiserInfo;
  readonly space: LatentSpace;
  /** Releases the onnxruntime session. */
  dispose(): Promise<void>;
}

function sampleShapeOf(o: Opened, xDecl: ValueMetadata): number[] {
  const prop = o.props.get('phys.image_shape');
  if (prop !== undefined) {
    const dims = prop.split(/[,\s]+/).filter((s) => s !== '').map(Number);
    if (dims.length === 0 || dims.some((d) => !(Number.isInteger(d) && d > 0))) throw new ValueError('metadata phys.image_shape', prop, 'positive integer dimensions, e.g. "2"');
    return dims;
  }
  const shape = xDecl.isTensor ? xDecl.shape.slice(1) : [];
  if (shape.length === 0 || shape.some((d) => typeof d !== 'number')) {
    throw new LatentModelError(o.source, `the sample shape is unknown: '${xDecl.name}' has symbolic dimensions; set phys.image_shape`);
  }
  return shape as number[];
}

/**
 * Loads a latent-conditioned denoiser D_theta(x; sigma, z) (thesis Sec. 4.2.1) from an ONNX file
 * whose metadata names the latent input (`phys.input_latents`, `[B, m]`, int64) and the space
 * (`phys.latents_m`, `phys.latents_k`); the output must be D itself (`phys.parameterization =
 * edm`). Call it as `model(x, sigma, z)`, or let a sampler pass `z` as `cond`. The null latent
 * (index k in {@link Latents}) is fed as `phys.latents_null`.
 *
 * Throws {@link LatentModelError} when the model has no latent input (e.g. a plain denoiser),
 * when the declared latent input's m differs from the metadata's, or when inputs would go unfed;
 * calls throw {@link ShapeError} for latents of another space (wrong m or k) or another row count.
 */
export async function loadLatentDenoiser(source: PhysOnnx.ModelSource, options: LatentDenoiserOptions = {}): Promise<OnnxLatentDenoiser> {
  const o = await open(source, options, typeof source === 'string' ? source : '<bytes>');
  try {
    const meta = o.onnx.parsePhysMetadata(o.props);
    if (meta.kind !== undefined && meta.kind !== 'denoiser') throw new LatentModelError(o.source, `phys.kind is '${meta.kind}', expected 'denoiser'`);
    const param = meta.parameterization ?? 'edm';
    if (param !== 'edm') throw new LatentModelError(o.source, `phys.parameterization '${param}' is not supported for latent-conditioned models; export D(x; sigma, z) itself ('edm')`);
    const latents = options.inputLatents ?? o.props.get('phys.input_latents');
    if (latents === undefined) {
      throw new LatentModelError(
        o.source,
        `asked for latents, but the model has no latent input: no phys.input_latents in its metadata and no options.inputLatents (it declares ${signature(o.session)}). Use @phys/onnx loadDenoiser for a model without latents.`,
      );
    }
    const names = { x: options.inputX ?? meta.inputX ?? 'x', sigma: options.inputSigma ?? meta.inputSigma ?? 'sigma', latents, output: options.output ?? meta.output ?? 'denoised' };
    const zDecl = declared(o, 'input', latents, 'the latent input');
    const xDecl = declared(o, 'input', names.x, 'the data input');
    const sDecl = declared(o, 'input', names.sigma, 'the noise input');
    const outDecl = declared(o, 'output', names.output, 'the denoised output');
    const extra = o.session.inputMetadata.filter((d) => ![names.x, names.sigma, latents].includes(d.name));
    if (extra.length > 0) throw new LatentModelError(o.source, `inputs ${extra.map((d) => `'${d.name}'`).join(', ')} would not be fed (it declares ${signature(o.session)})`);
    const space = resolveSpace(o, options);
    checkDims(o, zDecl, [space.m], 'latent input');
    const nullIndex = options.nullIndex ?? intProp(o.props, 'phys.latents_null') ?? space.k;
    const zType = indexType(o, zDecl);
    const xType = floatType(o, xDecl);
    const sType = floatType(o, sDecl);
    const outType = floatType(o, outDecl);
    const sampleShape = sampleShapeOf(o, xDecl);
    const rowSize = sampleShape.reduce((a, b) => a * b, 1);
    const chunk = chunkRows(options);
    const info: LatentDenoiserInfo = {
      source: o.source,
      space,
      names,
      nullIndex,
      sampleShape,
      sigmaMin: meta.sigmaMin ?? 0.002,
      sigmaMax: meta.sigmaMax ?? 80,
      sigmaData: meta.sigmaData ?? 0.5,
      kernel: meta.kernel ?? 'edm',
      D: meta.D ?? Infinity,
      provenance: meta.provenance,
    };
    const fn = async (x: Tensor, sigma: Float64Array, z?: Latents): Promise<Tensor> => {
      if (!(x instanceof Tensor)) throw new ValueError('x', x, 'a Tensor');
      if (x.rowSize !== rowSize || x.shape.length !== sampleShape.length + 1) throw new ShapeError('x', formatShape(['B', ...sampleShape] as never), formatShape(x.shape));
      if (z === undefined) {
        throw new ValueError('cond', z, `latents for ${o.source} (pass Latents as the sampler's cond; Latents.null(space, rows) for the unconditional model)`);
      }
      const zc = checkCondRows(x, z);
      assertSameSpace(space, zc.space, 'cond');
      if (!(sigma instanceof Float64Array) || sigma.length !== x.rows) throw new ShapeError('sigma', `${x.rows} noise levels`, String(sigma.length));
      const out = Tensor.zeros(x.shape, x.dtype);
      for (let start = 0; start < x.rows; start += chunk) {
        const end = Math.min(x.rows, start + chunk);
        const n = end - start;
        const feeds = {
          [names.x]: floatTensor(o.onnx, xType, x.data.subarray(start * rowSize, end * rowSize), [n, ...sampleShape]),
          [names.sigma]: floatTensor(o.onnx, sType, sigma.subarray(start, end), [n]),
          [latents]: latentTensor(o.onnx, zType, zc, start, end, nullIndex),
        };
        const t = await run(o, feeds, names.output, outType, [n, ...sampleShape]);
        out.data.set(t.data as Float32Array | Float64Array, start * rowSize);
      }
      assertFinite(out.data, `output '${names.output}' of ${o.source}`);
      return out;
    };
    return Object.assign(fn, { info, space, dispose: () => o.session.release() });
  } catch (e) {
    await o.session.release();
    throw e;
  }
}

// ------------------------------------------------------------------ prior

/** Options of {@link OnnxLatentPrior.load}. */
export interface OnnxPriorOptions extends LatentModelOptions {
  /** Input name (overrides `phys.input_z_prefix`; default `z_prefix`). */
  inputZPrefix?: string;
  /** Output name (overrides `phys.output`; default `logits`). */
  output?: string;
}

/**
 * An autoregressive prior p_psi(z_i | z_<i) as an ONNX network (thesis Sec. 4.2.3, "a standard
 * Transformer decoder"; our 2-D example uses masked MLPs), `phys.kind = latent-prior`: input
 * `z_prefix` int64 `[B, m]`, output `logits` `[B, m, k]` where position i reads only
 * `z_prefix[:, :i]` (`phys.prior_layout = causal-all-positions`). One call gives every position's
 * logits under teacher forcing ({@link sequenceLogits}); ancestral sampling calls it m times.
 */
export class OnnxLatentPrior implements AutoregressivePrior {
  readonly space: LatentSpace;
  readonly source: string;
  /** `phys.provenance` of the file. */
  readonly provenance: string | undefined;
  private readonly o: Opened;
  private readonly input: string;
  private readonly output: string;
  private readonly inputType: IntType;
  private readonly outputType: 'float32' | 'float64';
  private readonly chunk: number;

  private constructor(o: Opened, space: LatentSpace, input: string, output: string, inputType: IntType, outputType: 'float32' | 'float64', chunk: number) {
    this.o = o;
    this.space = space;
    this.source = o.source;
    this.provenance = o.props.get('phys.provenance');
    this.input = input;
    this.output = output;
    this.inputType = inputType;
    this.outputType = outputType;
    this.chunk = chunk;
  }

  /** Opens the prior and checks its signature against the metadata (m, k, layout). */
  static async load(source: PhysOnnx.ModelSource, options: OnnxPriorOptions = {}): Promise<OnnxLatentPrior> {
    const o = await open(source, options, typeof source === 'string' ? source : '<bytes>');
    try {
      const kind = o.props.get('phys.kind');
      if (kind !== undefined && kind !== 'latent-prior') throw new LatentModelError(o.source, `phys.kind is '${kind}', expected 'latent-prior'`);
      const layout = o.props.get('phys.prior_layout') ?? 'causal-all-positions';
      if (layout !== 'causal-all-positions') throw new LatentModelError(o.source, `phys.prior_layout '${layout}' is not supported (expected causal-all-positions)`);
      const space = resolveSpace(o, options);
      const input = options.inputZPrefix ?? o.props.get('phys.input_z_prefix') ?? 'z_prefix';
      const output = options.output ?? o.props.get('phys.output') ?? 'logits';
      const inDecl = declared(o, 'input', input, 'the prefix input');
      const outDecl = declared(o, 'output', output, 'the logits output');
      checkDims(o, inDecl, [space.m], 'prefix input');
      checkDims(o, outDecl, [space.m, space.k], 'logits output');
      const outType = floatType(o, outDecl);
      const extra = o.session.inputMetadata.filter((d) => d.name !== input);
      if (extra.length > 0) throw new LatentModelError(o.source, `inputs ${extra.map((d) => `'${d.name}'`).join(', ')} would not be fed (it declares ${signature(o.session)})`);
      return new OnnxLatentPrior(o, space, input, output, indexType(o, inDecl), outType, chunkRows(options));
    } catch (e) {
      await o.session.release();
      throw e;
    }
  }

  /** Teacher-forced logits `[rows, m, k]` of every position (row r, position i reads z[r, <i]). */
  async sequenceLogits(z: Latents): Promise<Tensor> {
    assertSameSpace(this.space, z.space, 'z');
    const { m, k } = this.space;
    for (let j = 0; j < z.indices.length; j++) {
      if (z.indices[j]! >= k) throw new ValueError(`z[${Math.floor(j / m)}][${j % m}]`, z.indices[j], `an integer in [0, ${k}) (a prior has no null latent)`);
    }
    const out = Tensor.zeros([z.rows, m, k], 'float64');
    for (let start = 0; start < z.rows; start += this.chunk) {
      const end = Math.min(z.rows, start + this.chunk);
      const t = await run(this.o, { [this.input]: latentTensor(this.o.onnx, this.inputType, z, start, end, k) }, this.output, this.outputType, [end - start, m, k]);
      out.data.set(t.data as Float32Array | Float64Array, start * m * k);
    }
    assertFinite(out.data, `output '${this.output}' of ${this.source}`);
    return out;
  }

  async logits(prefix: Latents, i: number): Promise<Tensor> {
    const { m, k } = this.space;
    if (!(Number.isInteger(i) && i >= 0 && i < m)) throw new ValueError('i', i, `a latent position in [0, ${m}) (m = ${m})`);
    const all = await this.sequenceLogits(prefix);
    const out = Tensor.zeros([prefix.rows, k], 'float64');
    for (let r = 0; r < prefix.rows; r++) out.data.set(all.data.subarray((r * m + i) * k, (r * m + i + 1) * k), r * k);
    return out;
  }

  /** Releases the onnxruntime session. */
  dispose(): Promise<void> {
    return this.o.session.release();
  }
}

// ------------------------------------------------------------------ encoder

/** Options of {@link loadLatentEncoder}. */
export interface LatentEncoderOptions extends LatentModelOptions {
  inputX?: string;
  output?: string;
}

/** An encoder E_phi(x) -> logits `[B, m, k]` of the latents of clean data (thesis Sec. 4.2.1). */
export interface OnnxLatentEncoder {
  readonly space: LatentSpace;
  readonly source: string;
  readonly sampleShape: readonly number[];
  /** Logits `[rows, m, k]` (float64) of q(z | x) for each row of `x`. */
  logits(x: Tensor): Promise<Tensor>;
  /** Releases the onnxruntime session. */
  dispose(): Promise<void>;
}

/**
 * Loads an encoder E_phi (`phys.kind = latent-encoder`, input `x` `[B, ...]`, output `logits`
 * `[B, m, k]`). Encode data with {@link encodeLatents} (Gumbel temperature 0.01 as in thesis
 * App. B.2.2) to fit a {@link TabularPrior} or to get the "oracle" latents of thesis Table 4.3.
 */
export async function loadLatentEncoder(source: PhysOnnx.ModelSource, options: LatentEncoderOptions = {}): Promise<OnnxLatentEncoder> {
  const o = await open(source, options, typeof source === 'string' ? source : '<bytes>');
  try {
    const kind = o.props.get('phys.kind');
    if (kind !== undefined && kind !== 'latent-encoder') throw new LatentModelError(o.source, `phys.kind is '${kind}', expected 'latent-encoder'`);
    const space = resolveSpace(o, options);
    const input = options.inputX ?? o.props.get('phys.input_x') ?? 'x';
    const output = options.output ?? o.props.get('phys.output') ?? 'logits';
    const xDecl = declared(o, 'input', input, 'the data input');
    const outDecl = declared(o, 'output', output, 'the logits output');
    checkDims(o, outDecl, [space.m, space.k], 'logits output');
    const xType = floatType(o, xDecl);
    const outType = floatType(o, outDecl);
    const sampleShape = sampleShapeOf(o, xDecl);
    const rowSize = sampleShape.reduce((a, b) => a * b, 1);
    const chunk = chunkRows(options);
    const { m, k } = space;
    return {
      space,
      source: o.source,
      sampleShape,
      async logits(x: Tensor): Promise<Tensor> {
        if (!(x instanceof Tensor)) throw new ValueError('x', x, 'a Tensor');
        if (x.rowSize !== rowSize || x.shape.length !== sampleShape.length + 1) throw new ShapeError('x', formatShape(['B', ...sampleShape] as never), formatShape(x.shape));
        const out = Tensor.zeros([x.rows, m, k], 'float64');
        for (let start = 0; start < x.rows; start += chunk) {
          const end = Math.min(x.rows, start + chunk);
          const t = await run(o, { [input]: floatTensor(o.onnx, xType, x.data.subarray(start * rowSize, end * rowSize), [end - start, ...sampleShape]) }, output, outType, [end - start, m, k]);
          out.data.set(t.data as Float32Array | Float64Array, start * m * k);
        }
        assertFinite(out.data, `output '${output}' of ${o.source}`);
        return out;
      },
      dispose: () => o.session.release(),
    };
  } catch (e) {
    await o.session.release();
    throw e;
  }
}
