// Shared timer of the samplers benches: CPU time (user + system) of this process, not wall time:
// the 2 shared cores are usually busy with other work, and CPU time is what the code itself costs.

const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

/** Median CPU and wall milliseconds of `repeats` runs of `run`, after 2 warm-up runs. */
export async function cpuTime(run, repeats) {
  for (let w = 0; w < 2; w++) await run();
  const ms = [];
  const wall = [];
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    ms.push((c.user + c.system) / 1000);
  }
  return { ms: median(ms), wall: median(wall) };
}
