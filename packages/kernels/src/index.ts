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
export { exponentialSchedule, polyexponentialSchedule, kdiffusionVpSchedule } from './schedule-kdiffusion.js';
export { iddpmSchedule } from './schedule-iddpm.js';
export type { IddpmScheduleOptions } from './schedule-iddpm.js';
export type { ExponentialScheduleOptions, PolyexponentialScheduleOptions, KdiffusionVpScheduleOptions } from './schedule-kdiffusion.js';
export { logGamma, logGammaDiff, logBeta, betaInc, betaIncPair } from './special.js';
export { edmPrecond, vePrecond, vpPrecond, edmLossWeight } from './precond.js';
export type { Precond, VpPrecondParams } from './precond.js';
export { logNormalSigma, LogNormalSigma, LogUniformSigma, VpTrainingSigma, trainingBatch } from './training.js';
export type { SigmaDistribution, LogNormalSigmaOptions, VpTrainingSigmaOptions, TrainingBatch, TrainingBatchOptions } from './training.js';
export { VeKernel, VpKernel, veKernel, vpKernel, vpPerturb } from './vpve.js';
export type { VpPerturbed } from './vpve.js';
export { PfgmKernel, pfgmKernel, pfgmHyperparameters } from './pfgm.js';
export type { PfgmOptions, PfgmPoints, PfgmPerturbed, PfgmHyperparameterInputs } from './pfgm.js';
export { straightPath, trigPath, bezierPath, segmentedPath, checkTime } from './path.js';
export type { TrajectoryPath, PathCoefficients } from './path.js';
export { gaussianPrior, radialPrior, boxPrior } from './path-prior.js';
export type { PathPrior, RadiusLaw } from './path-prior.js';
export {
  timeRows,
  coefficientRows,
  pathPoint,
  conditionalVelocity,
  pathTrainingBatch,
  velocityToDenoised,
  denoisedToVelocity,
  velocityDenoiser,
  denoiserVelocity,
  priorLogKernel,
} from './path-convert.js';
export type { VelocityModel, PathBatch } from './path-convert.js';
export { pathFromName, priorFromName } from './path-names.js';
