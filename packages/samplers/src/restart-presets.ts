// Published Restart settings (thesis App. B.3.2 Tables B.6/B.8; the reference repository's
// benchmarks/params_*.txt run through hyperparam.py: S_min 0.01, S_max 1, S_noise 1 on CIFAR-10 and
// 1.003 on ImageNet-64, restart_gamma 0.05 from the CLI default, S_churn 0).
import { edmKernel, pfgmppKernel, vpKernel, type Kernel } from '@phys/kernels';

/**
 * A published Restart configuration: spread it into {@link RestartOptions} (it carries its kernel,
 * so the forward jumps are the model's own) and build the main schedule from `steps`.
 */
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
  /**
   * Kernel of the model the setting was tuned for: its `forward` makes the Restart jumps (PFGM++
   * D = 2048 for `cifar10-pfgmpp`, VP for `cifar10-vp-*`, EDM otherwise) and its `prior` draws x_T.
   */
  readonly kernel: Kernel;
  /** PFGM++ augmentation dimension D of the model the setting was tuned for, when it is a PFGM++ model (= `kernel.D`). */
  readonly D?: number;
}

type Quad = readonly [number, number, number, number];

function preset(description: string, steps: number, levels: Record<string, Quad>, sNoise: number, kernel: Kernel): RestartPreset {
  let nfe = 2 * steps - 1;
  for (const [n, k] of Object.values(levels)) nfe += k * 2 * (n - 1);
  const p = { description, steps, levels, sChurn: 0, sMin: 0.01, sMax: 1, sNoise, restartGamma: 0.05, nfe, kernel };
  return Object.freeze(Number.isFinite(kernel.D) ? { ...p, D: kernel.D } : p);
}

/** A multi-level ImageNet-64 EDM (cond.) setting; its name ends in its NFE. */
function imagenet(steps: number, levels: Record<string, Quad>): RestartPreset {
  const p = preset('', steps, levels, 1.003, edmKernel());
  return Object.freeze({ ...p, description: `ImageNet-64 EDM (cond.), ${steps} main steps, ${Object.keys(levels).length}-level Restart, NFE ${p.nfe}` });
}

const presets = {
  'cifar10-edm': preset('CIFAR-10 EDM (uncond.), 18 main steps, NFE 43', 18, { '0': [3, 2, 0.14, 0.3] }, 1, edmKernel()),
  'cifar10-pfgmpp': preset('CIFAR-10 PFGM++ D = 2048, 18 main steps, NFE 43', 18, { '0': [3, 2, 0.14, 0.3] }, 1, pfgmppKernel({ D: 2048 })),
  'cifar10-vp-k2': preset('CIFAR-10 VP, 18 main steps, K = 2, NFE 43', 18, { '0': [3, 2, 0.06, 0.3] }, 1, vpKernel()),
  'cifar10-vp-k5': preset('CIFAR-10 VP, 18 main steps, K = 5, NFE 55', 18, { '0': [3, 5, 0.06, 0.3] }, 1, vpKernel()),
  'cifar10-vp-k10': preset('CIFAR-10 VP, 18 main steps, K = 10, NFE 75', 18, { '0': [3, 10, 0.06, 0.3] }, 1, vpKernel()),
  'cifar10-vp-k20': preset('CIFAR-10 VP, 18 main steps, K = 20, NFE 115', 18, { '0': [3, 20, 0.06, 0.3] }, 1, vpKernel()),
  'cifar10-vp-k30': preset('CIFAR-10 VP, 20 main steps, [9, 30, 0.06, 0.20], NFE 519', 20, { '0': [9, 30, 0.06, 0.2] }, 1, vpKernel()),
  'imagenet64-edm-nfe39': imagenet(14, { '0': [3, 1, 19.35, 40.79], '1': [3, 1, 1.09, 1.92], '2': [3, 1, 0.06, 0.3] }),
  'imagenet64-edm-nfe67': imagenet(18, { '0': [5, 1, 19.35, 40.79], '1': [5, 1, 1.09, 1.92], '2': [5, 1, 0.59, 1.09], '3': [5, 1, 0.06, 0.3] }),
  'imagenet64-edm-nfe99': imagenet(18, { '0': [3, 1, 19.35, 40.79], '1': [4, 1, 1.09, 1.92], '2': [4, 4, 0.59, 1.09], '3': [4, 1, 0.3, 0.59], '4': [4, 4, 0.06, 0.3] }),
  'imagenet64-edm-nfe165': imagenet(18, { '0': [3, 1, 19.35, 40.79], '1': [4, 1, 1.09, 1.92], '2': [4, 5, 0.59, 1.09], '3': [4, 5, 0.3, 0.59], '4': [4, 10, 0.06, 0.3] }),
  'imagenet64-edm-nfe203': imagenet(36, { '0': [4, 1, 19.35, 40.79], '1': [4, 1, 1.09, 1.92], '2': [4, 5, 0.59, 1.09], '3': [4, 5, 0.3, 0.59], '4': [6, 6, 0.06, 0.3] }),
  'imagenet64-edm-nfe385': imagenet(36, { '0': [3, 1, 19.35, 40.79], '1': [6, 1, 1.09, 1.92], '2': [6, 5, 0.59, 1.09], '3': [6, 5, 0.3, 0.59], '4': [6, 20, 0.06, 0.3] }),
  'imagenet64-edm-nfe535': imagenet(36, { '0': [6, 1, 19.35, 40.79], '1': [6, 1, 1.09, 1.92], '2': [7, 6, 0.59, 1.09], '3': [7, 6, 0.3, 0.59], '4': [7, 25, 0.06, 0.3] }),
  'imagenet64-edm-nfe623': imagenet(36, { '0': [10, 3, 19.35, 40.79], '1': [10, 3, 1.09, 1.92], '2': [7, 6, 0.59, 1.09], '3': [7, 6, 0.3, 0.59], '4': [7, 25, 0.06, 0.3] }),
} as const;

/** Name of a published Restart setting: a key of {@link restartPresets}. */
export type RestartPresetName = keyof typeof presets;

/**
 * The published CIFAR-10 and ImageNet-64 Restart settings, by name: `cifar10-edm`,
 * `cifar10-pfgmpp` (D = 2048), `cifar10-vp-k2` / `-k5` / `-k10` / `-k20` / `-k30`, and the
 * multi-level ImageNet-64 EDM settings `imagenet64-edm-nfe39`, `-nfe67`, `-nfe99`, `-nfe165`,
 * `-nfe203` (FID 1.41 in the paper), `-nfe385`, `-nfe535`, `-nfe623`. Each carries its `kernel`.
 */
export const restartPresets: Readonly<Record<RestartPresetName, RestartPreset>> = Object.freeze(presets);

/** Whether `name` is a key of {@link restartPresets} (for names from a command line or a file). */
export function isRestartPresetName(name: string): name is RestartPresetName {
  return Object.hasOwn(restartPresets, name);
}
