import { ValueError, assertFinite } from '@phys/tensor';

/** Result of {@link linearSumAssignment}. */
export interface Assignment {
  /** `columnOf[i]` is the column assigned to row `i`. */
  readonly columnOf: Int32Array;
  /** Sum of the assigned costs. */
  readonly cost: number;
}

/**
 * Minimum-cost assignment of the `rows` rows of a row-major `cost` matrix (`rows x cols`,
 * `rows <= cols`) to distinct columns: the shortest-augmenting-path form of the Jonker-Volgenant
 * algorithm (Crouse 2016, the method behind `scipy.optimize.linear_sum_assignment`), with the same
 * tie-breaking, O(rows^2 cols) in the worst case. Costs are float64; they must be finite.
 */
export function linearSumAssignment(cost: ArrayLike<number>, rows: number, cols: number): Assignment {
  if (!(Number.isInteger(rows) && rows >= 0)) throw new ValueError('rows', rows, 'a non-negative integer');
  if (!(Number.isInteger(cols) && cols >= rows)) throw new ValueError('cols', cols, `an integer >= rows (${rows})`);
  if (cost.length !== rows * cols) throw new ValueError('cost', cost.length, `${rows * cols} values (rows x cols)`);
  assertFinite(cost, 'cost');
  const C = cost instanceof Float64Array ? cost : Float64Array.from(cost);
  const n = rows;
  const m = cols;
  const u = new Float64Array(n);
  const v = new Float64Array(m);
  const spc = new Float64Array(m);
  const path = new Int32Array(m);
  const col4row = new Int32Array(n).fill(-1);
  const row4col = new Int32Array(m).fill(-1);
  const SR = new Uint8Array(n);
  const SC = new Uint8Array(m);
  const remaining = new Int32Array(m);

  for (let curRow = 0; curRow < n; curRow++) {
    // Dijkstra over reduced costs from the free row curRow to the nearest free column.
    spc.fill(Infinity);
    path.fill(-1);
    SR.fill(0);
    SC.fill(0);
    for (let it = 0; it < m; it++) remaining[it] = m - it - 1;
    let numRemaining = m;
    let minVal = 0;
    let i = curRow;
    let sink = -1;
    while (sink === -1) {
      SR[i] = 1;
      let index = -1;
      let lowest = Infinity;
      const off = i * m;
      const base = minVal - u[i]!;
      for (let it = 0; it < numRemaining; it++) {
        const j = remaining[it]!;
        const r = base + C[off + j]! - v[j]!;
        if (r < spc[j]!) {
          path[j] = i;
          spc[j] = r;
        }
        const s = spc[j]!;
        if (s < lowest || (s === lowest && row4col[j] === -1)) {
          lowest = s;
          index = it;
        }
      }
      minVal = lowest;
      if (minVal === Infinity) throw new ValueError('cost', 'infeasible', 'a feasible assignment');
      const j = remaining[index]!;
      if (row4col[j] === -1) sink = j;
      else i = row4col[j]!;
      SC[j] = 1;
      remaining[index] = remaining[--numRemaining]!;
    }
    // Dual update keeps reduced costs non-negative.
    u[curRow]! += minVal;
    for (let r = 0; r < n; r++) if (SR[r] && r !== curRow) u[r]! += minVal - spc[col4row[r]!]!;
    for (let c = 0; c < m; c++) if (SC[c]) v[c]! -= minVal - spc[c]!;
    // Augment along the alternating path.
    let j = sink;
    for (;;) {
      const r = path[j]!;
      row4col[j] = r;
      const prev = col4row[r]!;
      col4row[r] = j;
      j = prev;
      if (r === curRow) break;
    }
  }
  let total = 0;
  for (let r = 0; r < n; r++) total += C[r * m + col4row[r]!]!;
  return { columnOf: col4row, cost: total };
}
