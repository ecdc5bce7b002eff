// Published Restart settings (thesis App. B.3.2 Tables B.6/B.8; the reference repository's
// benchmarks/params_*.txt run through hyperparam.py: S_min 0.01, S_max 1, S_noise 1 on CIFAR-10 and
// 1.003 on ImageNet-64, restart_gamma 0.05 from the CLI default, S_churn 0).

/** A published Restart configuration: spread it into {@link RestartOptions} and build the main schedule from `steps`. */
export interface RestartPreset {
  /** What the setting was published for. */
  readonly description: string;
  /** N_main: main steps of `edmSchedule({ steps, sigmaMin: 0.002, sigmaMax: 80, rho: 7 })`. */
  readonly steps: number;
  /** The reference's `restart_info`, `{"0": [N_restart, K, t_min, t_max], ...}`. */
  readonly levels: Readonly<Record<string, readonly [number, number, number, number]>>;
  readonly sChurn: number;
  readonly sMin: number;
  readonly sMax: number;
  readonly sNoise: number;
  readonly restartGamma: number;
  /** NFE with Heun: 2 N_main - 1 + sum K (2 (N_restart - 1)). */
  readonly nfe: number;
  /** PFGM++ augmentation dimension D of the model the setting was tuned for, when it is a PFGM++ model. */
  readonly D?: number;
}

type Quad = readonly [number, number, number, number];

function preset(description: string, steps: number, levels: Record<string, Quad>, sNoise: number, D?: number): RestartPreset {
  let nfe = 2 * steps - 1;
  for (const [n, k] of Object.values(levels)) nfe += k * 2 * (n - 1);
  const p = { description, steps, levels, sChurn: 0, sMin: 0.01, sMax: 1, sNoise, restartGamma: 0.05, nfe };
  return Object.freeze(D === undefined ? p : { ...p, D });
}

const imagenetSettings: [number, Record<string, Quad>][] = [
  [14, { '0': [3, 1, 19.35, 40.79], '1': [3, 1, 1.09, 1.92], '2': [3, 1, 0.06, 0.3] }],
  [18, { '0': [5, 1, 19.35, 40.79], '1': [5, 1, 1.09, 1.92], '2': [5, 1, 0.59, 1.09], '3': [5, 1, 0.06, 0.3] }],
  [18, { '0': [3, 1, 19.35, 40.79], '1': [4, 1, 1.09, 1.92], '2': [4, 4, 0.59, 1.09], '3': [4, 1, 0.3, 0.59], '4': [4, 4, 0.06, 0.3] }],
  [18, { '0': [3, 1, 19.35, 40.79], '1': [4, 1, 1.09, 1.92], '2': [4, 5, 0.59, 1.09], '3': [4, 5, 0.3, 0.59], '4': [4, 10, 0.06, 0.3] }],
  [36, { '0': [4, 1, 19.35, 40.79], '1': [4, 1, 1.09, 1.92], '2': [4, 5, 0.59, 1.09], '3': [4, 5, 0.3, 0.59], '4': [6, 6, 0.06, 0.3] }],
  [36, { '0': [3, 1, 19.35, 40.79], '1': [6, 1, 1.09, 1.92], '2': [6, 5, 0.59, 1.09], '3': [6, 5, 0.3, 0.59], '4': [6, 20, 0.06, 0.3] }],
  [36, { '0': [6, 1, 19.35, 40.79], '1': [6, 1, 1.09, 1.92], '2': [7, 6, 0.59, 1.09], '3': [7, 6, 0.3, 0.59], '4': [7, 25, 0.06, 0.3] }],
  [36, { '0': [10, 3, 19.35, 40.79], '1': [10, 3, 1.09, 1.92], '2': [7, 6, 0.59, 1.09], '3': [7, 6, 0.3, 0.59], '4': [7, 25, 0.06, 0.3] }],
];

function buildPresets(): Record<string, RestartPreset> {
  const out: Record<string, RestartPreset> = {
    'cifar10-edm': preset('CIFAR-10 EDM (uncond.), 18 main steps, NFE 43', 18, { '0': [3, 2, 0.14, 0.3] }, 1),
    'cifar10-pfgmpp': preset('CIFAR-10 PFGM++ D = 2048, 18 main steps, NFE 43', 18, { '0': [3, 2, 0.14, 0.3] }, 1, 2048),
    'cifar10-vp-k2': preset('CIFAR-10 VP, 18 main steps, K = 2, NFE 43', 18, { '0': [3, 2, 0.06, 0.3] }, 1),
    'cifar10-vp-k5': preset('CIFAR-10 VP, 18 main steps, K = 5, NFE 55', 18, { '0': [3, 5, 0.06, 0.3] }, 1),
    'cifar10-vp-k10': preset('CIFAR-10 VP, 18 main steps, K = 10, NFE 75', 18, { '0': [3, 10, 0.06, 0.3] }, 1),
    'cifar10-vp-k20': preset('CIFAR-10 VP, 18 main steps, K = 20, NFE 115', 18, { '0': [3, 20, 0.06, 0.3] }, 1),
    'cifar10-vp-k30': preset('CIFAR-10 VP, 20 main steps, [9, 30, 0.06, 0.20], NFE 519', 20, { '0': [9, 30, 0.06, 0.2] }, 1),
  };
  for (const [steps, levels] of imagenetSettings) {
    const p = preset('', steps, levels, 1.003);
    out[`imagenet64-edm-nfe${p.nfe}`] = Object.freeze({ ...p, description: `ImageNet-64 EDM (cond.), ${steps} main steps, ${Object.keys(levels).length}-level Restart, NFE ${p.nfe}` });
  }
  return out;
}

/**
 * The published CIFAR-10 and ImageNet-64 Restart settings, by name: `cifar10-edm`,
 * `cifar10-pfgmpp` (D = 2048), `cifar10-vp-k2` / `-k5` / `-k10` / `-k20` / `-k30`, and the
 * multi-level ImageNet-64 EDM settings `imagenet64-edm-nfe39`, `-nfe67`, `-nfe99`, `-nfe165`,
 * `-nfe203` (FID 1.41 in the paper), `-nfe385`, `-nfe535`, `-nfe623`.
 */
export const restartPresets: Readonly<Record<string, RestartPreset>> = Object.freeze(buildPresets());
