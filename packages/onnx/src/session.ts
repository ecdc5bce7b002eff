import type { InferenceSession } from 'onnxruntime-common';
import { platform } from '#onnx-platform';
import type { ResolvedModel } from './platform/types.js';
import { ValueError, assertInteger, formatShape } from '@phys/tensor';
import { ModelSignatureError, type SignatureProblem } from './errors.js';
import { parsePhysMetadata, type PhysMetadata } from './metadata.js';
import { readModelHeader, type OnnxModelHeader } from './protobuf.js';

/**
 * An ONNX model: a file path (Node) or URL (browser; a string is resolved against the page), or
 * the model's bytes.
 */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;

/** Options shared by every loader. */
export interface SessionOptions {
  /**
   * Intra-op threads of onnxruntime. `'auto'` (default): 1 for models under 1 MiB (their
   * per-call overhead grows with threads), else the number of cores. Never more than the cores
   * (Node: `os.availableParallelism()`; browser: `navigator.hardwareConcurrency` on a
   * cross-origin isolated page, else 1), so 2 cores are not oversubscribed. onnxruntime-web takes
   * the count of the first session it creates.
   */
  threads?: number | 'auto';
  /**
   * Extra onnxruntime session options, applied last (advanced), e.g. `executionProviders:
   * ['webgpu', 'wasm']` in a browser. Defaults: `interOpNumThreads: 1`, `executionMode:
   * 'sequential'`, `graphOptimizationLevel: 'all'`, `logSeverityLevel: 3` (errors only); in a
   * browser `executionProviders: ['wasm']`.
   */
  sessionOptions?: InferenceSession.SessionOptions;
}

/** A session opened by {@link openSession}: no `phys.*` metadata parsed yet. */
export interface OpenedSession {
  readonly session: InferenceSession;
  /** A label for messages: the path or URL, or `'<bytes>'`. */
  readonly source: string;
  /** IR version, producer, opsets and raw `metadata_props`. */
  readonly header: OnnxModelHeader;
  /** The intra-op thread count the session was created with. */
  readonly threads: number;
  /** Size of the model in bytes. */
  readonly modelBytes: number;
}

/** An opened model: the onnxruntime session, the file's header and its `phys.*` metadata. */
export interface OpenedModel extends OpenedSession {
  /** The parsed `phys.*` metadata. */
  readonly metadata: PhysMetadata;
}

/** Models below this size run on one intra-op thread by default. */
export const SMALL_MODEL_BYTES = 1 << 20;

/** The thread count {@link openModel} uses for `threads` and a model of `modelBytes`. */
export function chooseThreads(threads: number | 'auto' | undefined, modelBytes: number, cores = platform.cpuCount()): number {
  const max = Math.max(1, cores);
  if (threads === undefined || threads === 'auto') return modelBytes < SMALL_MODEL_BYTES ? 1 : max;
  assertInteger(threads, 'threads', 1);
  return Math.min(threads, max);
}

/** A model's label in messages: the path or URL, or `'<bytes>'`. */
export function modelLabel(source: ModelSource): string {
  return source instanceof Uint8Array || source instanceof ArrayBuffer ? '<bytes>' : String(source);
}

/** The model's bytes or path, header and size, read as {@link openSession} reads them. */
async function resolveModel(source: ModelSource): Promise<ResolvedModel> {
  const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source instanceof Uint8Array ? source : undefined;
  if (bytes !== undefined) return { model: bytes, header: readModelHeader(bytes), modelBytes: bytes.byteLength };
  if (typeof source !== 'string' && !(source instanceof URL)) {
    throw new ValueError('model', source, `a ${platform.name === 'node' ? 'file path' : 'URL'} or the bytes of an ONNX model (Uint8Array or ArrayBuffer)`);
  }
  return platform.resolveModel(source);
}

/**
 * The header of a model (IR version, producer, opsets, `metadata_props`) without creating a
 * session: a file's header is read with a few positional reads; a URL is fetched.
 */
export async function readSourceHeader(source: ModelSource): Promise<OnnxModelHeader> {
  return (await resolveModel(source)).header;
}

/**
 * Opens an ONNX model with onnxruntime (onnxruntime-node under Node, onnxruntime-web in a
 * browser) and reads the file's header, `metadata_props` included (onnxruntime does not expose
 * custom metadata, so it is parsed here). Node opens files by path, so external weight files next
 * to the model resolve; a browser fetches the URL. `check` sees the header before the session is
 * created (an error thrown there leaves no session behind).
 */
export async function openSession(source: ModelSource, options: SessionOptions = {}, check?: (header: OnnxModelHeader) => void): Promise<OpenedSession> {
  const resolved = await resolveModel(source);
  check?.(resolved.header);
  const threads = chooseThreads(options.threads, resolved.modelBytes);
  const sessionOptions: InferenceSession.SessionOptions = {
    ...platform.sessionDefaults(threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // onnxruntime's warnings (e.g. unused initializers) are noise for users; errors still show.
    logSeverityLevel: 3,
    ...options.sessionOptions,
  };
  const { InferenceSession } = platform.ort;
  const session =
    typeof resolved.model === 'string' ? await InferenceSession.create(resolved.model, sessionOptions) : await InferenceSession.create(resolved.model, sessionOptions);
  return { session, source: modelLabel(source), header: resolved.header, threads, modelBytes: resolved.modelBytes };
}

/** {@link openSession} with the file's `phys.*` metadata parsed (before the session is created). */
export async function openModel(source: ModelSource, options: SessionOptions = {}): Promise<OpenedModel> {
  let metadata: PhysMetadata = {};
  const opened = await openSession(source, options, (header) => {
    metadata = parsePhysMetadata(header.metadata);
  });
  return { ...opened, metadata };
}

/** One declared input or output of a model, as onnxruntime reports it. */
export interface DeclaredTensor {
  readonly name: string;
  /** `'float32'`, `'float64'`, ... or `'non-tensor'`. */
  readonly type: string;
  /** Dimensions: numbers are fixed, strings symbolic; `undefined` when the model declares no shape. */
  readonly dims: readonly (number | string)[] | undefined;
}

function declared(meta: readonly InferenceSession.ValueMetadata[]): DeclaredTensor[] {
  return meta.map((m) =>
    m.isTensor
      ? // onnxruntime reports an undeclared shape as [] (indistinguishable from a scalar).
        { name: m.name, type: m.type, dims: m.shape.length === 0 ? undefined : m.shape }
      : { name: m.name, type: 'non-tensor', dims: undefined },
  );
}

/** The inputs and outputs a session declares. */
export function declaredSignature(session: InferenceSession): { inputs: DeclaredTensor[]; outputs: DeclaredTensor[] } {
  return { inputs: declared(session.inputMetadata), outputs: declared(session.outputMetadata) };
}

/** `float32 [B, 1, 28, 28]`. */
export function formatDeclared(t: DeclaredTensor): string {
  return `${t.type} ${t.dims === undefined ? '[?] (shape not declared)' : formatShape(t.dims as number[])}`;
}

/** The model's whole signature, one line per input and output. */
export function formatSignature(session: InferenceSession): string {
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
