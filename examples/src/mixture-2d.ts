// Draws samples of a 2-D mixture of 8 Gaussians on a ring with the seeded Philox RNG and prints
// a summary: per-mode counts and the sample mean. Run: node examples/dist/mixture-2d.js
import { PhiloxRng, getBackend } from '@phys/tensor';

const modes = 8;
const radius = 4;
const std = 0.2;
const n = 4096;
const rng = new PhiloxRng(2024);
const pick = rng.uniform([n, 1]).data;
const noise = rng.normal([n, 2]);
const be = getBackend();
const centers = noise.clone();
for (let i = 0; i < n; i++) {
  const k = Math.floor(pick[i]! * modes);
  centers.data[2 * i] = radius * Math.cos((2 * Math.PI * k) / modes);
  centers.data[2 * i + 1] = radius * Math.sin((2 * Math.PI * k) / modes);
}
const x = be.axpby(1, centers, std, noise);
const counts = new Array<number>(modes).fill(0);
for (let i = 0; i < n; i++) {
  const angle = Math.atan2(x.data[2 * i + 1]!, x.data[2 * i]!);
  counts[(Math.round((angle / (2 * Math.PI)) * modes) + modes) % modes]!++;
}
const mean = [0, 1].map((j) => Array.from(x.data).filter((_, i) => i % 2 === j).reduce((a, b) => a + b, 0) / n);
console.log(`drew ${n} samples from an ${modes}-mode ring mixture (radius ${radius}, std ${std})`);
console.log(`samples per mode: ${counts.join(' ')}`);
console.log(`sample mean: (${mean.map((m) => m.toFixed(3)).join(', ')})`);
