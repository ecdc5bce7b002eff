import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { OnnxModelHeader } from '../protobuf.js';

/**
 * The onnxruntime API this package uses, typed by onnxruntime-common: onnxruntime-node and
 * onnxruntime-web both re-export these classes, each with its own execution providers registered.
 */
export interface OrtApi {
  readonly InferenceSession: typeof InferenceSession;
  readonly Tensor: typeof Tensor;
}

/** A model named by a path or URL, made ready for `InferenceSession.create`. */
export interface ResolvedModel {
  /** What onnxruntime opens: a file path (Node: external weight files next to it resolve) or the bytes. */
  readonly model: string | Uint8Array;
  /** The model's IR version, producer, opsets and `metadata_props`. */
  readonly header: OnnxModelHeader;
  /** Size of the model in bytes. */
  readonly modelBytes: number;
}

/**
 * What differs between the hosts: Node (onnxruntime-node, files, `os.availableParallelism`) and
 * browsers (onnxruntime-web, fetch, `navigator.hardwareConcurrency`). `#onnx-platform` resolves to
 * ./node.ts or ./browser.ts by the `browser` condition; everything else is one adapter over
 * onnxruntime-common's types.
 */
export interface OnnxPlatform {
  readonly name: 'node' | 'browser';
  readonly ort: OrtApi;
  /**
   * Whether `session.run` writes into preallocated CPU outputs. onnxruntime-node does;
   * onnxruntime-web 1.30 hands the preallocated tensor back unwritten, so it gets none.
   */
  readonly writesPreallocatedOutputs: boolean;
  /** The cores onnxruntime may use. */
  cpuCount(): number;
  /** Reads the model a path (Node) or URL (browser, relative to the page) names. */
  resolveModel(source: string | URL): Promise<ResolvedModel>;
  /**
   * Resolves after the host's event loop had a turn (input, timers, an abort): called between
   * onnxruntime calls. onnxruntime-node already runs each call after a `setImmediate`;
   * onnxruntime-web's `run` resolves in microtasks only, which would keep a page's clicks waiting
   * until a whole sampling run ends.
   */
  yieldTurn(): Promise<void>;
  /** Session options of this host under the caller's, for a session of `threads` intra-op threads. */
  sessionDefaults(threads: number): InferenceSession.SessionOptions;
}
