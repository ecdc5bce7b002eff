// Argument checks shared by every package: AbortSignals (validation and racing a pending call),
// tensors (type, rows, finiteness with a `checkFinite: false` opt-out) and scalars.
import { assertFinite } from './check.js';
import { ValueError } from './errors.js';
import { Tensor, formatShape } from './tensor.js';

/**
 * Throws {@link ValueError} naming `argument` unless `signal` is undefined or an AbortSignal (any
 * object with a boolean `aborted` and `addEventListener`/`removeEventListener`, so signals of
 * another realm or a polyfill pass). Returns it typed.
 */
export function checkSignal(signal: unknown, argument = 'signal'): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  const s = (typeof signal === 'object' && signal !== null ? signal : {}) as Partial<AbortSignal>;
  if (typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function' || typeof s.removeEventListener !== 'function') {
    throw new ValueError(argument, signal, 'an AbortSignal (e.g. new AbortController().signal) or undefined');
  }
  return signal as AbortSignal;
}

/**
 * The error an aborted signal rejects with: its reason, or a DOMException named AbortError when it
 * has none (typed Error; `abort(reason)` may pass any value, which is returned as is).
 */
export function abortReason(signal: AbortSignal): Error {
  return (signal.reason ?? new DOMException('This operation was aborted', 'AbortError')) as Error;
}

/** Throws the signal's reason (see {@link abortReason}) if it was aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/**
 * Races `work` against `signal`: resolves or rejects as `work` does, unless the signal aborts first,
 * then rejects at once (in the abort event, not at the next check) with the signal's reason (a
 * DOMException named AbortError when `abort()` was called without one). The work itself cannot be
 * cancelled; its late result or error is dropped.
 */
export function raceAbort<T>(work: T | PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
  const pending = Promise.resolve(work);
  if (signal === undefined) return pending;
  if (signal.aborted) {
    pending.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // Passed on as thrown (the work's own rejection value, whatever its type).
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
      },
    );
  });
}

/** Options of {@link checkTensor}. */
export interface CheckTensorOptions {
  /**
   * Scan the values for NaN/Infinity and throw NonFiniteError (default true). `false` skips the
   * pass over the data where the caller guarantees finite input and the cost matters.
   */
  checkFinite?: boolean;
  /** Minimum number of rows (default 0). */
  minRows?: number;
  /** Required rank (number of dimensions), if any. */
  rank?: number;
}

/**
 * Throws {@link ValueError} naming `argument` unless `x` is a {@link Tensor} with at least
 * `minRows` rows (and rank `rank` when given), and NonFiniteError when a value is NaN or
 * +-Infinity (unless `checkFinite: false`). Returns it typed.
 */
export function checkTensor(x: unknown, argument: string, options: CheckTensorOptions = {}): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(argument, x, 'a Tensor');
  if (options.rank !== undefined && x.shape.length !== options.rank) {
    throw new ValueError(`${argument}.shape`, formatShape(x.shape), `${options.rank} dimensions`);
  }
  const minRows = options.minRows ?? 0;
  if (x.rows < minRows) throw new ValueError(`${argument}.shape`, formatShape(x.shape), `at least ${minRows} row${minRows === 1 ? '' : 's'}`);
  if (options.checkFinite !== false) assertFinite(x.data, argument);
  return x;
}

/** Range of {@link checkScalar}. */
export interface ScalarRange {
  /** Smallest allowed value (inclusive unless `exclusiveMin`). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** `min` itself is not allowed. */
  exclusiveMin?: boolean;
  /** Only integers. */
  integer?: boolean;
  /** Allow +Infinity (e.g. D = Infinity, an unlimited budget). Default false. */
  allowInfinity?: boolean;
}

/**
 * Throws {@link ValueError} naming `argument` unless `value` is a number in the range (finite unless
 * `allowInfinity`; never NaN). Returns it.
 */
export function checkScalar(value: unknown, argument: string, range: ScalarRange = {}): number {
  const { min = -Infinity, max = Infinity, exclusiveMin = false, integer = false, allowInfinity = false } = range;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (Number.isFinite(value) || (allowInfinity && value === Infinity)) &&
    (exclusiveMin ? value > min : value >= min) &&
    value <= max &&
    (!integer || Number.isInteger(value) || value === Infinity);
  if (!ok) {
    const kind = integer ? 'an integer' : allowInfinity ? 'a number' : 'a finite number';
    const parts: string[] = [];
    if (min > -Infinity) parts.push(`${exclusiveMin ? '>' : '>='} ${min}`);
    if (max < Infinity) parts.push(`<= ${max}`);
    throw new ValueError(argument, value, parts.length ? `${kind} ${parts.join(' and ')}` : kind);
  }
  return value;
}
