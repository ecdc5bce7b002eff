// Pairwise squared distances for small row sizes, vectorised over the references.

/**
 * distsmall(x, yt, out, B, np, N): out[i, j] = sum_q (x[i, q] - yt[q, j])^2 for i < B, j < np (a
 * multiple of 4), all float64; `yt` is the reference set transposed ([N, np]) so the kernel runs
 * along the references. Sums in q order, like the reference backend (bit-identical to it).
 */
export function distsmall(x: usize, yt: usize, out: usize, B: i32, np: i32, N: i32): void {
  const rowOut = <usize>np << 3;
  for (let i = 0; i < B; i++) {
    const px = x + ((<usize>i * <usize>N) << 3);
    const po = out + <usize>i * rowOut;
    for (let j = 0; j < np; j += 4) {
      let acc0 = f64x2.splat(0);
      let acc1 = acc0;
      let pq = yt + (<usize>j << 3);
      for (let q = 0; q < N; q++) {
        const xs = v128.load64_splat(px + (<usize>q << 3));
        let d = f64x2.sub(xs, v128.load(pq));
        acc0 = f64x2.add(acc0, f64x2.mul(d, d));
        d = f64x2.sub(xs, v128.load(pq, 16));
        acc1 = f64x2.add(acc1, f64x2.mul(d, d));
        pq += rowOut;
      }
      v128.store(po + (<usize>j << 3), acc0);
      v128.store(po + (<usize>j << 3), acc1, 16);
    }
  }
}
