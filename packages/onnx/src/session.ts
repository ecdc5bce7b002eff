import { availableParallelism } from 'node:os';
import { stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { ValueError, assertInteger, formatShape } from '@phys/tensor';
import { ModelSignatureError, type SignatureProblem } from './errors.js';
import { parsePhysMetadata, type PhysMetadata } from './metadata.js';
import { readModelHeader, readModelHeaderFromFile, type OnnxModelHeader } from './protobuf.js';

/** A model file path, or the bytes of an ONNX model. */
export type ModelSource = string | Uint8Array;

/** Options shared by every loader. */
export interface SessionOptions {
  /**
   * Intra-op threads of onnxruntime. `'auto'` (default): 1 for models under 1 MiB (their
   * per-call overhead grows with threads), else the number of cores. Never more than the cores
   * (`os.availableParallelism()`), so 2 cores are not oversubscribed.
   */
  threads?: number | 'auto';
  /**
   * Extra onnxruntime session options, applied last (advanced). Defaults: `interOpNumThreads: 1`,
   * `executionMode: 'sequential'`, `graphOptimizationLevel: 'all'`, `logSeverityLevel: 3` (errors only).
   */
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

/** An opened model: the onnxruntime session, the file's header and its `phys.*` metadata. */
export interface OpenedModel {
  readonly session: ort.InferenceSession;
  /** A label for messages: the path, or `'<bytes>'`. */
  readonly source: string;
  /** IR version, producer, opsets and raw `metadata_props`. */
  readonly header: OnnxModelHeader;
  /** The parsed `phys.*` metadata. */
  readonly metadata: PhysMetadata;
  /** The intra-op thread count the session was created with. */
  readonly threads: number;
  /** Size of the model in bytes. */
  readonly modelBytes: number;
}

/** Models below this size run on one intra-op thread by default. */
export const SMALL_MODEL_BYTES = 1 << 20;

/** The thread count {@link openModel} uses for `threads` and a model of `modelBytes`. */
export function chooseThreads(threads: number | 'auto' | undefined, modelBytes: number, cores = availableParallelism()): number {
  const max = Math.max(1, cores);
  if (threads === undefined || threads === 'auto') return modelBytes < SMALL_MODEL_BYTES ? 1 : max;
  assertInteger(threads, 'threads', 1);
  return Math.min(threads, max);
}

/**
 * Opens an ONNX model with onnxruntime-node and reads its `phys.*` metadata (parsed from the
 * file's `metadata_props`, which onnxruntime-node does not expose). Files are given to
 * onnxruntime by path, so external weight files next to the model resolve.
 */
export async function openModel(source: ModelSource, options: SessionOptions = {}): Promise<OpenedModel> {
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) throw new ValueError('model', source, 'a file path or the bytes of an ONNX model');
  const label = typeof source === 'string' ? source : '<bytes>';
  let header: OnnxModelHeader;
  let modelBytes: number;
  if (typeof source === 'string') {
    try {
      modelBytes = (await stat(source)).size;
    } catch {
      throw new ValueError('model', source, 'an existing ONNX file (not found or not readable)');
    }
    header = await readModelHeaderFromFile(source);
  } else {
    modelBytes = source.byteLength;
    header = readModelHeader(source);
  }
  const metadata = parsePhysMetadata(header.metadata);
  const threads = chooseThreads(options.threads, modelBytes);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // onnxruntime's warnings (e.g. unused initializers) are noise for users; errors still show.
    logSeverityLevel: 3,
    ...options.sessionOptions,
  };
  const session =
    typeof source === 'string' ? await ort.InferenceSession.create(source, sessionOptions) : await ort.InferenceSession.create(source, sessionOptions);
  return { session, source: label, header, metadata, threads, modelBytes };
}

/** One declared input or output of a model, as onnxruntime reports it. */
export interface DeclaredTensor {
  readonly name: string;
  /** `'float32'`, `'float64'`, ... or `'non-tensor'`. */
  readonly type: string;
  /** Dimensions: numbers are fixed, strings symbolic; `undefined` when the model declares no shape. */
  readonly dims: readonly (number | string)[] | undefined;
}

function declared(meta: readonly ort.InferenceSession.ValueMetadata[]): DeclaredTensor[] {
  return meta.map((m) =>
    m.isTensor
      ? // onnxruntime reports an undeclared shape as [] (indistinguishable from a scalar).
        { name: m.name, type: m.type, dims: m.shape.length === 0 ? undefined : m.shape }
      : { name: m.name, type: 'non-tensor', dims: undefined },
  );
}

/** The inputs and outputs a session declares. */
export function declaredSignature(session: ort.InferenceSession): { inputs: DeclaredTensor[]; outputs: DeclaredTensor[] } {
  return { inputs: declared(session.inputMetadata), outputs: declared(session.outputMetadata) };
}

/** `float32 [B, 1, 28, 28]`. */
export function formatDeclared(t: DeclaredTensor): string {
  return `${t.type} ${t.dims === undefined ? '[?] (shape not declared)' : formatShape(t.dims as number[])}`;
}

/** The model's whole signature, one line per input and output. */
export function formatSignature(session: ort.InferenceSession): string {
  const { inputs, outputs } = declaredSignature(session);
  return [
    ...inputs.map((t) => `  input  '${t.name}': ${formatDeclared(t)}`),
    ...outputs.map((t) => `  output '${t.name}': ${formatDeclared(t)}`),
  ].join('\n');
}

/** Element types this package feeds and reads. */
export type FloatType = 'float32' | 'float64';

/**
 * What a loader needs from one input or output. `dims` lists the expected dimensions after the
 * batch dimension (`undefined` = any), `batch` says whether dimension 0 is the batch (rank-0
 * and trailing-ones variants are listed in `alternatives`).
 */
export interface TensorRequirement {
  readonly role: 'input' | 'output';
  readonly name: string;
  /**
   * Acceptable shapes; `'B'` is the batch dimension, a number a fixed size, `'*'` anything.
   * `'batch-first'` accepts any rank >= 1 (used when the sample shape is not known).
   */
  readonly shapes: readonly (readonly (number | 'B' | '*')[])[] | 'batch-first';
  /** Describe the expectation in messages, e.g. `[B, 1, 28, 28]`. */
  readonly describe: string;
}

/** How a requirement was met. */
export interface MatchedTensor {
  readonly name: string;
  readonly type: FloatType;
  /** The matched shape pattern (one of {@link TensorRequirement.shapes}). */
  readonly shape: readonly (number | 'B' | '*')[];
  /** The model's declared dims (undefined when not declared). */
  readonly dims: readonly (number | string)[] | undefined;
  /** A fixed batch size the model declares (a number at a `'B'` position), else undefined. */
  readonly fixedBatch: number | undefined;
}

function matchDims(dims: readonly (number | string)[], pattern: readonly (number | 'B' | '*')[]): { ok: boolean; fixedBatch: number | undefined } {
  if (dims.length !== pattern.length) return { ok: false, fixedBatch: undefined };
  let fixedBatch: number | undefined;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i]!;
    const p = pattern[i]!;
    if (typeof d === 'string' || p === '*') continue;
    if (p === 'B') fixedBatch = d;
    else if (d !== p) return { ok: false, fixedBatch: undefined };
  }
  return { ok: true, fixedBatch };
}

/**
 * Checks a session against requirements before the first call: every required name exists, is a
 * float32/float64 tensor, and has an acceptable rank and fixed dimensions; every model input is
 * one we feed; all fixed batch sizes agree. Throws one {@link ModelSignatureError} listing every
 * problem; returns how each requirement was met.
 */
export function checkSignature(opened: OpenedModel, requirements: readonly TensorRequirement[]): Map<string, MatchedTensor> {
  const { inputs, outputs } = declaredSignature(opened.session);
  const problems: SignatureProblem[] = [];
  const matched = new Map<string, MatchedTensor>();
  for (const req of requirements) {
    const list = req.role === 'input' ? inputs : outputs;
    const t = list.find((d) => d.name === req.name);
    const expected = `float32 or float64 ${req.describe}`;
    if (t === undefined) {
      const names = list.map((d) => `'${d.name}'`).join(', ');
      problems.push({ role: req.role, name: req.name, expected, found: `missing (the model's ${req.role}s are ${names || 'none'})` });
      continue;
    }
    if (t.type !== 'float32' && t.type !== 'float64') {
      problems.push({ role: req.role, name: req.name, expected, found: formatDeclared(t) });
      continue;
    }
    const shapes: readonly (readonly (number | 'B' | '*')[])[] =
      req.shapes === 'batch-first' ? [['B', ...new Array<'*'>(Math.max(0, (t.dims?.length ?? 1) - 1)).fill('*')]] : req.shapes;
    if (t.dims === undefined) {
      matched.set(req.role + ':' + req.name, { name: t.name, type: t.type, shape: shapes[0]!, dims: undefined, fixedBatch: undefined });
      continue;
    }
    const dims = t.dims;
    let hit: MatchedTensor | undefined;
    for (const shape of shapes) {
      const m = matchDims(dims, shape);
      if (m.ok) {
        hit = { name: t.name, type: t.type, shape, dims, fixedBatch: m.fixedBatch };
        break;
      }
    }
    if (hit === undefined) problems.push({ role: req.role, name: req.name, expected, found: formatDeclared(t) });
    else matched.set(req.role + ':' + req.name, hit);
  }
  const fed = new Set(requirements.filter((r) => r.role === 'input').map((r) => r.name));
  for (const t of inputs) {
    if (!fed.has(t.name)) problems.push({ role: 'input', name: t.name, expected: 'absent (nothing would feed it)', found: formatDeclared(t) });
  }
  const batches = [...matched.values()].filter((m) => m.fixedBatch !== undefined);
  if (problems.length === 0 && batches.length > 1 && batches.some((m) => m.fixedBatch !== batches[0]!.fixedBatch)) {
    for (const m of batches.slice(1)) {
      if (m.fixedBatch !== batches[0]!.fixedBatch) {
        problems.push({
          role: requirements.find((r) => r.name === m.name)?.role ?? 'input',
          name: m.name,
          expected: `batch ${batches[0]!.fixedBatch} (as '${batches[0]!.name}')`,
          found: `batch ${m.fixedBatch}`,
        });
      }
    }
  }
  if (problems.length > 0) throw new ModelSignatureError(opened.source, problems, formatSignature(opened.session));
  return matched;
}

/** The matched requirement for `role:name` (after {@link checkSignature} succeeded). */
export function getMatched(matched: Map<string, MatchedTensor>, role: 'input' | 'output', name: string): MatchedTensor {
  const m = matched.get(role + ':' + name);
  if (m === undefined) throw new Error(`internal: ${role} '${name}' was not checked`);
  return m;
}

/** The model's image shape after the batch dimension, when every one of those dims is fixed. */
export function fixedSampleShape(dims: readonly (number | string)[] | undefined): number[] | undefined {
  if (dims === undefined || dims.length < 2) return undefined;
  const rest = dims.slice(1);
  return rest.every((d): d is number => typeof d === 'number') ? rest : undefined;
}
