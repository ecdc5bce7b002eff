export type { Kernel, Perturbed } from './kernel.js';
export { GaussianKernel, edmKernel } from './gaussian.js';
export { PfgmppKernel, pfgmppKernel, checkD } from './pfgmpp.js';
export type { PfgmppOptions, PfgmppForwardDraws } from './pfgmpp.js';
export { sampleRadius, radiusCdf, radiusQuantile, radiusMoments, radiusLogPdf } from './radius.js';
export type { RadiusParams, RadiusMoments } from './radius.js';
export {
  edmSchedule,
  vpSchedule,
  veSchedule,
  vpAlpha,
  vpSigma,
  vpSigmaDeriv,
  vpSigmaInv,
  vpScale,
  veSigma,
  veSigmaInv,
  sigmaToR,
  rToSigma,
} from './schedule.js';
export type { EdmScheduleOptions, VpParams, VpScheduleOptions, VeScheduleOptions } from './schedule.js';
export { logGamma, logGammaDiff, logBeta, betaInc, betaIncPair } from './special.js';
