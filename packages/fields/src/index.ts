export { GaussianMixture } from './mixture.js';
export type { MixtureComponent, MixtureEvaluation } from './mixture.js';
export { ringMixture, gridMixture, twoGaussians, restartMixture20d } from './mixtures.js';
export type { RingMixtureOptions, GridMixtureOptions, TwoGaussiansOptions, RestartMixtureOptions } from './mixtures.js';
export { symmetricEigen, logSumExp } from './linalg.js';
export type { SymmetricEigen } from './linalg.js';
