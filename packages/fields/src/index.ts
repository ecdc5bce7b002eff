export { GaussianMixture } from './mixture.js';
export type { MixtureComponent, MixtureEvaluation } from './mixture.js';
export { ringMixture, gridMixture, twoGaussians, restartMixture20d, restartMixture20dComponents } from './mixtures.js';
export { lowRankMixtureDenoiser, approximationErrorDenoiser } from './low-rank.js';
export type { LowRankComponent, ApproximationErrorOptions } from './low-rank.js';
export type { RingMixtureOptions, GridMixtureOptions, TwoGaussiansOptions, RestartMixtureOptions } from './mixtures.js';
export { symmetricEigen, logSumExp } from './linalg.js';
export type { SymmetricEigen } from './linalg.js';
export { EmptyReferenceError } from './check.js';
export type { CheckFiniteOption } from './check.js';
export { posteriorWeights, posteriorMean, empiricalDenoiser, logKernelMatrix } from './posterior.js';
export type { LogKernel, PosteriorOptions, PosteriorWeights, EmpiricalDenoiserOptions } from './posterior.js';
export { pfgmppField, scaledPfgmppField, pfgmFieldTarget, pfgmppNormalizedField, exactPfgmField, logUnitSphereArea } from './electric.js';
export type { ReducedField, NormalizedFieldOptions, NormalizedFieldValue } from './electric.js';
export { stfReferenceBatch, stfTargets, vDsm, vStf, posteriorTvd, logKernelSlope } from './stf.js';
export type { Estimate, DiagnosticOptions, VStfOptions, StfOptions } from './stf.js';
export { logBesselK } from './bessel.js';
export {
  coulombSource,
  powerLawSource,
  yukawaSource,
  sourceFromPotential,
  coulombLogPotential,
  forceField,
  forceFieldVelocity,
  forceFieldDenoiser,
} from './forcefield.js';
export type { PointSource } from './forcefield.js';
export {
  laplacian,
  fractionalLaplacian,
  biharmonic,
  polynomialRoots,
  dispersionRelation,
  dispersionBranches,
  smoothCondition,
  classifyFamily,
  densityFlow,
  genphysPdes,
} from './genphys.js';
export type {
  Complex,
  Coefficient,
  SpatialTerm,
  LinearPde,
  DispersionOptions,
  DispersionBranches,
  SmoothConditionResult,
  SmoothVerdict,
  DensityFlow,
} from './genphys.js';
export { pathPosteriorWeights, pathPosteriorMean, empiricalVelocity, empiricalVelocityField, trajectoryIndicator } from './trajectory-field.js';
export type { EmpiricalVelocityOptions, TrajectoryFamily } from './trajectory-field.js';
