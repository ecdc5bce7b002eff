// Test-only helpers of the convergence-order tests: step grids and the fitted order.

/** N steps log-uniform in sigma (uniform in lambda = -log sigma) from sMax to sMin, no trailing 0. */
export function logUniform(sMax: number, sMin: number, n: number): number[] {
  return Array.from({ length: n + 1 }, (_, i) => Math.exp(Math.log(sMax) + (i / n) * (Math.log(sMin) - Math.log(sMax))));
}

/** Least-squares slope of log(err) against log(N): the observed order is minus this. */
export function slope(ns: number[], errs: number[]): number {
  const xs = ns.map(Math.log);
  const ys = errs.map(Math.log);
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  });
  return sxy / sxx;
}
