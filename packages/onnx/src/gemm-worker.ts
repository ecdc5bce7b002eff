// The worker thread of createOrtGemm (gemm.ts): it owns the onnxruntime sessions of the GEMM graphs
// and runs them through onnxruntime-node's public, asynchronous `InferenceSession.run`, while the
// calling thread (whose Backend calls are synchronous) sleeps in Atomics.wait. Operands and results
// are transferred to the worker (onnxruntime-node's native binding takes no SharedArrayBuffer) and
// the results transferred back, no copy either way. Protocol (all messages on the MessageChannel port of workerData):
// - start-up: signal[0] := 1 once onnxruntime-node has loaded, 2 (and a message { error }) if not;
// - each job message: run, post { error? }, then signal[1] := job id (the caller then reads the
//   reply with receiveMessageOnPort).
import { workerData, type MessagePort } from 'node:worker_threads';
import type * as Ort from 'onnxruntime-node';

/** What gemm.ts passes as `workerData`. */
export interface GemmWorkerData {
  readonly port: MessagePort;
  /** Int32Array over a SharedArrayBuffer: [0] start-up state, [1] id of the last finished job. */
  readonly signal: Int32Array;
  /** onnxruntime session options (threads, no spinning). */
  readonly sessionOptions: object;
}

type Elem = 'float32' | 'float64';

/** One product: the operands' buffers are transferred to the worker (and handed back in the reply). */
export interface GemmJob {
  readonly id: number;
  /** Session key; `model` is sent with the first job of each key. */
  readonly key: string;
  readonly model?: Uint8Array;
  readonly a: Operand;
  readonly b: Operand;
  /** The product's rows and columns. */
  readonly m: number;
  readonly n: number;
  /** Whether the graph also returns the row sums of squares `NA` `[M, 1]` and `NB` `[N, 1]`. */
  readonly norms: boolean;
}

/** A row-major operand: its values are the first `dims[0] * dims[1]` elements of `buffer`. */
export interface Operand {
  readonly type: Elem;
  readonly buffer: ArrayBuffer;
  readonly dims: readonly [number, number];
}

/** The worker's answer to a job (its buffers transferred): float64 outputs and the operand buffers for reuse. */
export interface GemmReply {
  readonly id: number;
  readonly error?: string;
  readonly c?: Float64Array<ArrayBuffer>;
  readonly na?: Float64Array<ArrayBuffer>;
  readonly nb?: Float64Array<ArrayBuffer>;
  readonly buffers?: readonly ArrayBuffer[];
}

const { port, signal, sessionOptions } = workerData as GemmWorkerData;

const values = (o: Operand): Float32Array | Float64Array => {
  const n = o.dims[0] * o.dims[1];
  return o.type === 'float32' ? new Float32Array(o.buffer, 0, n) : new Float64Array(o.buffer, 0, n);
};

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

try {
  const imported = (await import('onnxruntime-node')) as typeof Ort & { default?: typeof Ort };
  const ort = imported.default ?? imported;
  const sessions = new Map<string, Promise<Ort.InferenceSession>>();

  const run = async (job: GemmJob): Promise<GemmReply> => {
    let session = sessions.get(job.key);
    if (!session) {
      if (!job.model) throw new Error(`no model for session ${job.key}`);
      session = ort.InferenceSession.create(job.model, sessionOptions);
      sessions.set(job.key, session);
    }
    const s = await session;
    const { m, n } = job;
    const feeds = { A: new ort.Tensor(job.a.type, values(job.a), job.a.dims), B: new ort.Tensor(job.b.type, values(job.b), job.b.dims) };
    // Pre-allocated outputs: onnxruntime writes the float64 results straight into them.
    const c = new Float64Array(m * n);
    const fetches: Record<string, Ort.Tensor> = { C: new ort.Tensor('float64', c, [m, n]) };
    const na = job.norms ? new Float64Array(m) : undefined;
    const nb = job.norms ? new Float64Array(n) : undefined;
    if (na && nb) {
      fetches.NA = new ort.Tensor('float64', na, [m, 1]);
      fetches.NB = new ort.Tensor('float64', nb, [n, 1]);
    }
    await s.run(feeds, fetches);
    return { id: job.id, c, na, nb, buffers: [job.a.buffer, job.b.buffer] };
  };

  port.on('message', (job: GemmJob) => {
    run(job).then(
      (r) => {
        reply(r, [r.c!.buffer, ...(r.na ? [r.na.buffer, r.nb!.buffer] : []), ...r.buffers!]);
      },
      (e: unknown) => {
        reply({ id: job.id, error: message(e) }, []);
      },
    );
  });
  Atomics.store(signal, 0, 1);
} catch (e) {
  port.postMessage({ id: 0, error: message(e) } satisfies GemmReply);
  Atomics.store(signal, 0, 2);
}
Atomics.notify(signal, 0);

function reply(r: GemmReply, transfer: ArrayBuffer[]): void {
  port.postMessage(r, transfer);
  Atomics.store(signal, 1, r.id);
  Atomics.notify(signal, 1);
}
