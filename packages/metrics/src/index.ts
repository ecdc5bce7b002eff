export { linearSumAssignment } from './assignment.js';
export type { Assignment } from './assignment.js';
export { wasserstein1d, wasserstein1dPower, exactWasserstein, slicedWasserstein } from './wasserstein.js';
export type { Weights1d, ExactWassersteinResult, SlicedWassersteinOptions, SlicedWassersteinResult } from './wasserstein.js';
export { edmDrift, odeCurvature, curvatureAlongTrajectory, pathCurvature } from './curvature.js';
export type { Drift, CurvatureResult, PathCurvatureResult } from './curvature.js';
export {
  countEvaluations,
  heunNfe,
  restartNfe,
  modeCoverage,
  expectedModesIid,
  restartErrorDecomposition,
  paretoFrontier,
} from './diagnostics.js';
export type { CountingDenoiser, RestartLevelNfe, ModeCoverage, RestartErrorDecomposition } from './diagnostics.js';
