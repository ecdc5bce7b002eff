// Pearson's chi-square goodness-of-fit test for the statistical tests of this package.

function logGamma(x: number): number {
  // Lanczos (g = 7, n = 9), |error| < 1e-13 for x > 0.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xx = x - 1;
  let a = c[0]!;
  const t = xx + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) (series for x < a + 1, continued fraction otherwise). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lg = logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - lg);
  }
  let b = x + 1 - a;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - lg) * h;
}

/**
 * Chi-square statistic and p-value of observed counts against expected probabilities. Cells with
 * an expected count below 5 are pooled into one cell (the usual validity rule of the test); a
 * cell with probability 0 and a nonzero count gives p = 0.
 */
export function chiSquareTest(counts: ArrayLike<number>, probabilities: ArrayLike<number>): { stat: number; df: number; p: number } {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i]!;
  let stat = 0;
  let cells = 0;
  let poolObs = 0;
  let poolExp = 0;
  for (let i = 0; i < counts.length; i++) {
    const e = n * probabilities[i]!;
    if (e === 0 && counts[i]! !== 0) return { stat: Infinity, df: 0, p: 0 };
    if (e < 5) {
      poolObs += counts[i]!;
      poolExp += e;
      continue;
    }
    stat += (counts[i]! - e) ** 2 / e;
    cells++;
  }
  if (poolExp > 0) {
    stat += (poolObs - poolExp) ** 2 / poolExp;
    cells++;
  }
  const df = cells - 1;
  return { stat, df, p: gammaQ(df / 2, stat / 2) };
}
