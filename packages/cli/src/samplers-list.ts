// The schedule-driven samplers of @phys/samplers' registry as `phys sample --sampler NAME`, and
// `phys sample --list-samplers`.
import { describeSamplers, findSampler, samplerRegistry, type SamplerDescription, type SamplerEntry } from '@phys/samplers';

/** The registry sampler a CLI name selects (names the CLI already gives a meaning keep theirs). */
export function registrySampler(name: string, builtIn: readonly string[]): SamplerEntry | undefined {
  return builtIn.includes(name) ? undefined : findSampler(name);
}

/**
 * What `--list-samplers` prints: the CLI's own samplers, then each registry sampler whose name the
 * CLI does not already use, one line each.
 */
export function listSamplers(own: readonly SamplerDescription[]): string {
  const names = new Set(own.map((d) => d.name));
  return `${describeSamplers([...own, ...samplerRegistry.filter((e) => !names.has(e.name))]).join('\n')}\n`;
}
