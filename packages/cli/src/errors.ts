/** A command-line usage problem (unknown option, bad value): one line on stderr, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses a positive integer option value or throws a {@link UsageError} naming the option. */
export function positiveInt(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0)) throw new UsageError(`--${option} must be a positive integer, got '${value}'`);
  return n;
}

/** Parses a finite number option value (optionally > 0) or throws a {@link UsageError}. */
export function finiteNumber(value: string | undefined, option: string, fallback: number, positive = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (positive && n <= 0) || value.trim() === '') {
    throw new UsageError(`--${option} must be a ${positive ? 'positive ' : ''}number, got '${value}'`);
  }
  return n;
}
