/** Base class of every error thrown by phys packages. */
export class PhysError extends Error {
  override name = 'PhysError';
}

/** A tensor or array has the wrong shape. Names the argument, what was expected and what was found. */
export class ShapeError extends PhysError {
  override name = 'ShapeError';
  constructor(
    readonly argument: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${argument}: expected shape ${expected}, found ${found}`);
  }
}

/** An argument has an invalid value (out of range, not finite, wrong type). */
export class ValueError extends PhysError {
  override name = 'ValueError';
  constructor(
    readonly argument: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${argument}: expected ${expected}, got ${formatValue(value)}`);
  }
}

/** A computation produced NaN or +-Infinity. Names where (argument, index) it was found. */
export class NonFiniteError extends PhysError {
  override name = 'NonFiniteError';
  constructor(
    readonly argument: string,
    readonly index: number,
    readonly value: number,
    context = '',
  ) {
    super(`${argument}: non-finite value ${String(value)} at flat index ${index}${context ? ` (${context})` : ''}`);
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.slice(0, 8).map(formatValue).join(', ')}${value.length > 8 ? ', ...' : ''}]`;
  return Object.prototype.toString.call(value);
}

/**
 * Worker threads were asked for where they cannot run (no Web Workers, or no SharedArrayBuffer
 * because a page is not cross-origin isolated). `reason` says which; the single-threaded backend
 * still works there.
 */
export class ThreadsUnavailableError extends PhysError {
  override name = 'ThreadsUnavailableError';
  constructor(readonly reason: string) {
    super(`worker threads are unavailable: ${reason}; use threads: 1`);
  }
}
