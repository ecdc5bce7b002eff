// The browser entry of @phys/onnx (the `browser` condition of its exports): the whole adapter on
// onnxruntime-web, with models from URLs or bytes. The Node entry (./index.ts) re-exports it and
// adds what needs Node: file headers read from disk and the onnxruntime GEMM engine.
export { ModelFormatError, ModelSignatureError } from './errors.js';
export type { SignatureProblem } from './errors.js';
export { parsePhysMetadata, PHYS_METADATA_KEYS } from './metadata.js';
export type { ModelKind, Parameterization, KernelKind, NoiseInput, PhysMetadata } from './metadata.js';
export { readModelHeader, readModelHeaderAt, ProtoReader } from './protobuf.js';
export type { OnnxModelHeader, PositionalRead } from './protobuf.js';
export { openModel, openSession, readSourceHeader, modelLabel, chooseThreads, declaredSignature, formatSignature, SMALL_MODEL_BYTES } from './session.js';
export type { ModelSource, SessionOptions, OpenedModel, OpenedSession, DeclaredTensor, FloatType } from './session.js';
export { ModelRunError, DEFAULT_CHUNK_SIZE, ortTensor, runSession } from './run.js';
export type { RunOptions, ChunkProgress, OrtTensorData } from './run.js';
export { rowCoefficients, noiseInputValue } from './precond.js';
export type { RowCoefficients, PrecondConfig } from './precond.js';
export { loadDenoiser, resolveDenoiserConfig } from './denoiser.js';
export type { DenoiserOptions, DenoiserInfo, DenoiseOptions, KernelInfo, OnnxDenoiser } from './denoiser.js';
export { noiseKernel } from './kernel.js';
export { loadNormalizedField } from './field.js';
export type { FieldOptions, FieldInfo, FieldValue, NormalizedFieldFn, OnnxNormalizedField } from './field.js';
export { loadClassifier } from './classifier.js';
export type { ClassifierOptions, ClassifierInfo, ClassifierOutputs, FeatureExtractor, OnnxClassifier } from './classifier.js';
export { encodeOnnxModel, ONNX_DTYPES } from './onnx-writer.js';
export type { OnnxModelSpec, OnnxNodeSpec, OnnxValueInfo, OnnxInitializer, OnnxDim, OnnxElemType } from './onnx-writer.js';
export { loadVelocityModel } from './velocity.js';
export type { VelocityModelOptions, OnnxVelocityModel } from './velocity.js';
