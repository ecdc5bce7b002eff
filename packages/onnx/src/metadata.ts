import { ValueError } from '@phys/tensor';

/** What a model file holds (`phys.kind`). */
export type ModelKind = 'denoiser' | 'classifier' | 'pfgm-field' | 'latent-prior';

/**
 * How a denoiser's output relates to D(x; sigma) (`phys.parameterization`):
 * - `'edm'`: the model is D(x; sigma) itself (EDM-preconditioned network, thesis Alg. 13).
 * - `'edm-raw'`: the model is the raw network F; D = c_skip x + c_out F(c_in x, c_noise) with
 *   EDM's coefficients for `sigma_data` (EDM paper Table 1).
 * - `'eps'`: epsilon-prediction on the VP (DDPM) process: D = x - sigma * eps(x / sqrt(1 + sigma^2), t(sigma)).
 * - `'v'`: v-prediction (Salimans & Ho): D = c_skip x - c_out v(c_in x, t(sigma)) with EDM's
 *   coefficients for `sigma_data` (1 by default).
 * - `'velocity'`: flow matching on a trajectory path (`phys.path`, e.g. `straight`): the model is
 *   v(x_t, t) ~ E[a'(t) x0 + b'(t) x1 | x_t] in natural time t in [0, 1] (input `phys.input_t`,
 *   default `t`); load it with `loadVelocityModel`.
 */
export type Parameterization = 'edm' | 'edm-raw' | 'eps' | 'v' | 'velocity';

/** The perturbation kernel the model was trained with (`phys.kernel`). */
export type KernelKind = 'edm' | 'pfgmpp' | 'vp' | 've';

/**
 * What the network receives as its noise input in the raw parameterisations (`phys.noise_input`,
 * an extension of the convention):
 * - `'edm'`: c_noise = ln(sigma)/4 (EDM; default for `edm-raw`).
 * - `'ve'`: c_noise = ln(sigma/2) (EDM's VE preconditioning, NCSN++).
 * - `'vp'`: c_noise = (M - 1) t(sigma), t the inverse of the VP schedule
 *   sigma(t) = sqrt(exp(beta_d t^2/2 + beta_min t) - 1) (EDM's VP preconditioning; default for `eps` and `v`).
 * - `'sigma'`: sigma itself.
 */
export type NoiseInput = 'edm' | 've' | 'vp' | 'sigma';

/** The `phys.*` metadata of a model file, parsed and checked. Absent keys are `undefined`. */
export interface PhysMetadata {
  readonly kind?: ModelKind;
  readonly parameterization?: Parameterization;
  readonly kernel?: KernelKind;
  /** `phys.D`: augmented dimensions of PFGM++ (`inf` allowed for Gaussian kernels). */
  readonly D?: number;
  readonly sigmaData?: number;
  readonly sigmaMin?: number;
  readonly sigmaMax?: number;
  /** `phys.image_shape`, one sample's shape without the batch, e.g. `[1, 28, 28]`. */
  readonly imageShape?: readonly number[];
  /** `phys.value_range`, the data range the model works in, e.g. `[-1, 1]`. */
  readonly valueRange?: readonly [number, number];
  readonly inputX?: string;
  readonly inputSigma?: string;
  readonly output?: string;
  readonly outputLogits?: string;
  readonly outputFeatures?: string;
  /** Extension: the z input of a PFGM (D = 1) field model (default `z`). */
  readonly inputZ?: string;
  /** Extension: the z output of a PFGM (D = 1) field model (default `field_z`). */
  readonly outputZ?: string;
  /** Extension: the noise input of raw parameterisations (see {@link NoiseInput}). */
  readonly noiseInput?: NoiseInput;
  /** Extension: VP schedule constants for `noise_input = vp` (EDM defaults 19.9, 0.1, 1000). */
  readonly vpBetaD?: number;
  readonly vpBetaMin?: number;
  readonly vpM?: number;
  /** Extension: the trajectory path of a `velocity` model, a name `pathFromName` of @phys/kernels reads (e.g. `straight`). */
  readonly path?: string;
  /** Extension: the prior of a `velocity` model, a name `priorFromName` reads (e.g. `gaussian(1)`). */
  readonly prior?: string;
  /** Extension: the time input of a `velocity` model (default `t`). */
  readonly inputT?: string;
  /** `phys.provenance`: free text (script, seed, data, steps, loss). */
  readonly provenance?: string;
}

/** Every `phys.*` key this package reads, mapped to the {@link PhysMetadata} field it fills. */
export const PHYS_METADATA_KEYS = {
  'phys.kind': 'kind',
  'phys.parameterization': 'parameterization',
  'phys.kernel': 'kernel',
  'phys.D': 'D',
  'phys.sigma_data': 'sigmaData',
  'phys.sigma_min': 'sigmaMin',
  'phys.sigma_max': 'sigmaMax',
  'phys.image_shape': 'imageShape',
  'phys.value_range': 'valueRange',
  'phys.input_x': 'inputX',
  'phys.input_sigma': 'inputSigma',
  'phys.output': 'output',
  'phys.output_logits': 'outputLogits',
  'phys.output_features': 'outputFeatures',
  'phys.input_z': 'inputZ',
  'phys.output_z': 'outputZ',
  'phys.noise_input': 'noiseInput',
  'phys.vp_beta_d': 'vpBetaD',
  'phys.vp_beta_min': 'vpBetaMin',
  'phys.vp_M': 'vpM',
  'phys.path': 'path',
  'phys.prior': 'prior',
  'phys.input_t': 'inputT',
  'phys.provenance': 'provenance',
} as const satisfies Record<string, keyof PhysMetadata>;

function oneOf<T extends string>(key: string, value: string, allowed: readonly T[]): T {
  const v = value.trim();
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new ValueError(`metadata ${key}`, value, `one of ${allowed.join(' | ')}`);
}

function parseNumber(key: string, value: string, opts: { positive?: boolean; allowInfinity?: boolean } = {}): number {
  const v = value.trim().toLowerCase();
  const x = v === 'inf' || v === 'infinity' || v === '+inf' ? Infinity : v === '' ? NaN : Number(v);
  const ok = (Number.isFinite(x) || (opts.allowInfinity === true && x === Infinity)) && (opts.positive !== true || x > 0);
  if (!ok) throw new ValueError(`metadata ${key}`, value, `a${opts.positive === true ? ' positive' : ''} number${opts.allowInfinity === true ? ' or inf' : ''}`);
  return x;
}

function parseList(key: string, value: string): number[] {
  const parts = value.split(/[,\sx×]+/).filter((p) => p !== '');
  const nums = parts.map(Number);
  if (nums.length === 0 || nums.some((n) => !Number.isFinite(n))) throw new ValueError(`metadata ${key}`, value, 'comma-separated numbers');
  return nums;
}

function name(key: string, value: string): string {
  const v = value.trim();
  if (v === '') throw new ValueError(`metadata ${key}`, value, 'a non-empty tensor name');
  return v;
}

/**
 * Parses the `phys.*` entries of a model's `metadata_props` (string values, see the README's
 * "Model-file convention"). Keys outside `phys.*` are ignored; unknown `phys.*` keys are ignored
 * too (so newer files load in older versions). A malformed value throws {@link ValueError}
 * naming the key, e.g. `metadata phys.D: expected a positive number or inf, got "-3"`.
 */
export function parsePhysMetadata(props: ReadonlyMap<string, string>): PhysMetadata {
  const m: Record<string, unknown> = {};
  for (const [key, value] of props) {
    switch (key) {
      case 'phys.kind':
        m.kind = oneOf(key, value, ['denoiser', 'classifier', 'pfgm-field', 'latent-prior']);
        break;
      case 'phys.parameterization':
        m.parameterization = oneOf(key, value, ['edm', 'edm-raw', 'eps', 'v', 'velocity']);
        break;
      case 'phys.kernel':
        m.kernel = oneOf(key, value, ['edm', 'pfgmpp', 'vp', 've']);
        break;
      case 'phys.noise_input':
        m.noiseInput = oneOf(key, value, ['edm', 've', 'vp', 'sigma']);
        break;
      case 'phys.D':
        m.D = parseNumber(key, value, { positive: true, allowInfinity: true });
        break;
      case 'phys.sigma_data':
      case 'phys.sigma_max':
      case 'phys.vp_beta_d':
      case 'phys.vp_beta_min':
      case 'phys.vp_M':
        m[PHYS_METADATA_KEYS[key]] = parseNumber(key, value, { positive: true });
        break;
      case 'phys.sigma_min': {
        const x = parseNumber(key, value);
        if (x < 0) throw new ValueError(`metadata ${key}`, value, 'a number >= 0');
        m.sigmaMin = x;
        break;
      }
      case 'phys.image_shape': {
        const dims = parseList(key, value);
        if (dims.some((d) => !(Number.isInteger(d) && d > 0))) throw new ValueError(`metadata ${key}`, value, 'positive integer dimensions, e.g. "1,28,28"');
        m.imageShape = dims;
        break;
      }
      case 'phys.value_range': {
        const r = parseList(key, value);
        if (r.length !== 2 || !(r[0]! < r[1]!)) throw new ValueError(`metadata ${key}`, value, 'two numbers "lo,hi" with lo < hi');
        m.valueRange = [r[0]!, r[1]!];
        break;
      }
      case 'phys.input_x':
      case 'phys.input_sigma':
      case 'phys.output':
      case 'phys.output_logits':
      case 'phys.output_features':
      case 'phys.input_z':
      case 'phys.output_z':
      case 'phys.input_t':
        m[PHYS_METADATA_KEYS[key]] = name(key, value);
        break;
      case 'phys.path':
      case 'phys.prior':
        m[PHYS_METADATA_KEYS[key]] = name(key, value);
        break;
      case 'phys.provenance':
        m.provenance = value;
        break;
      default:
        break;
    }
  }
  return m;
}
