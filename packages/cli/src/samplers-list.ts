// The schedule-driven samplers of @phys/samplers' registry as `phys sample --sampler NAME`, and
// `phys sample --list-samplers`.
import { describeSamplers, findSampler, type SamplerEntry } from '@phys/samplers';

/** The registry sampler a CLI name selects (names the CLI already gives a meaning keep theirs). */
export function registrySampler(name: string, builtIn: readonly string[]): SamplerEntry | undefined {
  return builtIn.includes(name) ? undefined : findSampler(name);
}

/** What `--list-samplers` prints: the CLI's own samplers, then one line per registry sampler. */
export function listSamplers(builtIn: readonly string[]): string {
  const own = builtIn.map((n) => `${n.padEnd(20)}  (phys sample's own: see --help)`);
  return `${[...own, ...describeSamplers()].join('\n')}\n`;
}
