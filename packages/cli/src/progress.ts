/** A one-line progress bar on a TTY stream; silent when the stream is not a TTY or `quiet`. */
export class ProgressBar {
  private readonly enabled: boolean;
  private readonly started = performance.now();
  private lastDraw = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number,
    private readonly label: string,
    quiet = false,
  ) {
    this.enabled = !quiet && stream.isTTY;
  }

  /** Shows `done` of `total` with a free-form `detail`; redraws at most every 50 ms. */
  update(done: number, detail = ''): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < 50 && done < this.total) return;
    this.lastDraw = now;
    const width = 30;
    const frac = Math.min(1, done / this.total);
    const filled = Math.round(frac * width);
    const secs = ((now - this.started) / 1000).toFixed(1);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    this.stream.write(`\r${this.label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${secs}s ${detail}\x1b[K`);
  }

  /** Ends the line. */
  done(): void {
    if (this.enabled) this.stream.write('\n');
  }
}
