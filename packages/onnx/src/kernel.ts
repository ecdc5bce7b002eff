import { edmKernel, pfgmppKernel, veKernel, vpKernel, type Kernel } from '@phys/kernels';
import type { KernelInfo } from './denoiser.js';

/**
 * The noise kernel of a loaded model (`model.info.kernel`): its prior draws x_T and its `forward`
 * makes Restart's jumps. A finite `D` overrides the model's and selects PFGM++ with that D.
 *
 * @example
 * const model = await loadDenoiser(url);
 * const kernel = noiseKernel(model.info.kernel); // PFGM++ D = 128 for the shipped Fashion-MNIST model
 */
export function noiseKernel(info: KernelInfo, D?: number): Kernel {
  const d = D ?? info.D;
  if (info.kind === 'pfgmpp' || (D !== undefined && Number.isFinite(D))) return pfgmppKernel({ D: d });
  if (info.kind === 'vp') return vpKernel();
  if (info.kind === 've') return veKernel();
  return edmKernel();
}
