export { linearSumAssignment } from './assignment.js';
export type { Assignment } from './assignment.js';
export { wasserstein1d, wasserstein1dPower, exactWasserstein, slicedWasserstein } from './wasserstein.js';
export type { Weights1d, ExactWassersteinResult, SlicedWassersteinOptions, SlicedWassersteinResult } from './wasserstein.js';
export { edmDrift, odeCurvature, curvatureAlongTrajectory, pathCurvature } from './curvature.js';
export type { Drift, CurvatureResult, PathCurvatureResult } from './curvature.js';
export {
  countEvaluations,
  modeCoverage,
  expectedModesIid,
  restartErrorDecomposition,
  paretoFrontier,
} from './diagnostics.js';
export type { CountingDenoiser, ModeCoverage, RestartErrorDecomposition } from './diagnostics.js';
export { FeatureStatistics } from './stats.js';
export type { GaussianStats, FeatureStatisticsState } from './stats.js';
export { frechetDistance, frechetDistanceName } from './frechet.js';
export type { FrechetMethod, FrechetOptions, FrechetResult, StatsLike } from './frechet.js';
export { parseNpy, encodeNpy, readNpz, writeNpz, parseFidStats, encodeFidStats, crc32 } from './npz.js';
export type { NpyArray } from './npz.js';
export { encodeFeatureStatistics, parseFeatureStatistics } from './stats-npz.js';
export { mmd2, kernelInceptionDistance, drawWithoutReplacement } from './kid.js';
export type { MmdKernel, MmdEstimator, KidOptions, KidResult } from './kid.js';
export { inceptionScore } from './inception-score.js';
export type { InceptionScoreOptions, InceptionScoreResult } from './inception-score.js';
export { precisionRecall, realismScores, kNearestRadii } from './precision-recall.js';
export type { PrecisionRecallResult } from './precision-recall.js';
export { inBatchSimilarity } from './similarity.js';
export { preprocessForInception, INCEPTION_PRESETS } from './resize.js';
export type { InceptionPreset, ImageCHW, PreprocessOptions } from './resize.js';
export { extractFeatures, preprocessBatch, computeMetrics } from './report.js';
export type { FeatureExtractor, ExtractOptions, ExtractResult, MetricName, MetricsInput, MetricsReport } from './report.js';
export { compositeIndex } from './composite-index.js';
export type { IndexColumn, CompositeIndexOptions, CompositeIndexResult } from './composite-index.js';
export { tileGrid, untileGrid } from './grid.js';
export type { GridLayout, Image8 } from './grid.js';
