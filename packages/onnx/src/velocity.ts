// Velocity-predicting (flow-matching) ONNX models: `phys.parameterization = velocity` with the
// trajectory path named in `phys.path` (and the prior in `phys.prior`). The network maps
// (x_t, t) to v(x_t, t) in natural time; `velocityDenoiser` of @phys/kernels turns it into the
// EDM-frame Denoiser every sigma sampler runs on.
import { ValueError, type Denoiser, type Tensor } from '@phys/tensor';
import { pathFromName, priorFromName, velocityDenoiser, type PathPrior, type TrajectoryPath, type VelocityModel } from '@phys/kernels';
import { loadDenoiser, type DenoiserInfo } from './denoiser.js';
import { parsePhysMetadata, type PhysMetadata } from './metadata.js';
import type { RunOptions } from './run.js';
import { readSourceHeader, type ModelSource, type SessionOptions } from './session.js';

/** Options of {@link loadVelocityModel}; each overrides the model's `phys.*` metadata. */
export interface VelocityModelOptions extends SessionOptions {
  /** The trajectory path (default: `phys.path`; required when the file has none). */
  path?: TrajectoryPath | string;
  /** The prior of x1 (default: `phys.prior`, else the standard Gaussian). */
  prior?: PathPrior | string;
  /** Input name of x (default `phys.input_x`, else `x`). */
  inputX?: string;
  /** Input name of t (default `phys.input_t`, else `t`). */
  inputT?: string;
  /** Output name (default `phys.output`, else `velocity`). */
  output?: string;
  /** One sample's shape without the batch (default: metadata, else the model's fixed dims). */
  imageShape?: readonly number[];
  /** Rows per onnxruntime call (default 128). */
  chunkSize?: number;
  /** Cancels calls made through the plain functions (between chunks). */
  signal?: AbortSignal;
  /** Check every output for NaN/Inf (default true). */
  checkFinite?: boolean;
}

/** An ONNX velocity model with its path and prior. */
export interface OnnxVelocityModel {
  /** v(x, t) for t in (0, 1] per row (a natural-time flow sampler never evaluates t = 0 with Euler, Heun or midpoint). */
  readonly velocity: VelocityModel;
  /** The same model as a Denoiser in the EDM frame of its path (`velocityDenoiser(path, velocity)`). */
  readonly denoiser: Denoiser;
  readonly path: TrajectoryPath;
  readonly prior: PathPrior;
  /** v(x, t) with per-call options (cancellation, progress). */
  predict(x: Tensor, t: Float64Array, options?: RunOptions): Promise<Tensor>;
  /** Names, shapes, types and metadata resolved at load time (`parameterization` reads `'edm'`: the raw network call). */
  readonly info: DenoiserInfo;
  /** Releases the session. */
  dispose(): Promise<void>;
}

/**
 * Loads a velocity-predicting ONNX model (inputs x `[B, ...]` and t `[B]` or `[B, 1, ...]`,
 * output v with x's shape). The signature is checked at load, as for {@link loadDenoiser}.
 *
 * @example
 * const model = await loadVelocityModel('flow.onnx');         // phys.path says the path
 * const x1 = model.prior.sample([512, 2], new PhiloxRng(0));
 * const { x } = await flowSample(model.velocity, x1, flowTimes(8), { solver: 'heun' });
 * const viaSigma = await heunSample(model.denoiser, model.prior.sample([512, 2], rng, 'float32'), sigmas);
 *
 * @throws ValueError when the file's parameterisation is not `velocity` or the path is unknown;
 *   ModelSignatureError for mismatched inputs and outputs
 */
export async function loadVelocityModel(source: ModelSource, options: VelocityModelOptions = {}): Promise<OnnxVelocityModel> {
  const names = await velocityNames(source, options);
  const inner = await loadDenoiser(source, { ...options, parameterization: 'edm', kernel: 'edm', inputSigma: names.t, output: names.output });
  const meta = inner.info.metadata;
  try {
    if (meta.parameterization !== undefined && meta.parameterization !== 'velocity') {
      throw new ValueError('metadata phys.parameterization', meta.parameterization, "'velocity' (this file is a denoiser; use loadDenoiser)");
    }
    const pathSpec = options.path ?? meta.path;
    if (pathSpec === undefined) throw new ValueError('path', undefined, "the trajectory path: set phys.path in the model's metadata or pass options.path");
    const path = typeof pathSpec === 'string' ? pathFromName(pathSpec) : pathSpec;
    const priorSpec = options.prior ?? meta.prior ?? 'gaussian(1)';
    const prior = typeof priorSpec === 'string' ? priorFromName(priorSpec) : priorSpec;
    const predict = async (x: Tensor, t: Float64Array, runOptions: RunOptions = {}): Promise<Tensor> => {
      for (let i = 0; i < t.length; i++) {
        if (!(t[i]! > 0 && t[i]! <= 1)) throw new ValueError(`t[${i}]`, t[i], 'a time in (0, 1] (the network input)');
      }
      return await inner.denoise(x, t, runOptions);
    };
    const velocity: VelocityModel = (x, t) => predict(x, t, { ...(options.signal && { signal: options.signal }) });
    return { velocity, denoiser: velocityDenoiser(path, velocity), path, prior, predict, info: inner.info, dispose: () => inner.dispose() };
  } catch (e) {
    await inner.dispose();
    throw e;
  }
}

/** The t input and output names: options, else the file's metadata, else `t` / `velocity`. */
async function velocityNames(source: ModelSource, options: VelocityModelOptions): Promise<{ t: string; output: string }> {
  let meta: PhysMetadata = {};
  try {
    meta = parsePhysMetadata((await readSourceHeader(source)).metadata);
  } catch {
    // An unreadable source: loadDenoiser reports it with its own typed error.
  }
  return { t: options.inputT ?? meta.inputT ?? 't', output: options.output ?? meta.output ?? 'velocity' };
}
