export { LatentModelError } from './errors.js';
export { Latents, latentSpace, checkSpace, assertSameSpace } from './latents.js';
export type { LatentSpace } from './latents.js';
export { categoricalProbabilities, logSoftmax, sampleCategorical, gumbelSoftmax, argmaxLastAxis, checkLogitValues } from './categorical.js';
export type { CategoricalOptions, GumbelSoftmaxOptions } from './categorical.js';
export { samplePrior, priorLogLikelihood } from './prior.js';
export type { AutoregressivePrior, PriorSampleOptions } from './prior.js';
export { TabularPrior, MAX_TABLE_ENTRIES } from './tabular.js';
export type { TabularFitOptions } from './tabular.js';
export { latentGuidance, switchLatents, switchSigma, checkCondRows } from './conditioning.js';
export type { LatentDenoiser, LatentSwitch } from './conditioning.js';
export { latentsFromLogits, encodeLatents } from './encode.js';
export type { LatentEncoder, EncodeOptions } from './encode.js';
export { discoSample } from './disco.js';
export type { DiscoSampleOptions, DiscoSampleResult, LatentSampler } from './disco.js';
// The ONNX loaders (loadLatentDenoiser, loadLatentEncoder, OnnxLatentPrior) are the
// `@phys/latents/onnx` entry, so this one never pulls in onnxruntime-node.
