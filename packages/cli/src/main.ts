import { PhysError } from '@phys/tensor';
import { UsageError } from './errors.js';
import { INTERRUPTED_EXIT_CODE, removeOutputs } from './signals.js';

const USAGE = `Usage: phys <command> [options]

Commands:
  sample   sample images from an ONNX model and write a PNG grid (default: the shipped model)
  eval     metrics between samples and a reference (Frechet distance on classifier features, ...)
  stats    mergeable feature statistics of a folder of images (one shard of a sharded run)
  bench    time the sampler on the shipped model (per-step and per-NFE costs)

Run 'phys <command> --help' for the options of a command.`;

type Command = (argv: string[], signal: AbortSignal) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  sample: async () => (await import('./sample.js')).sampleCommand,
  eval: async () => (await import('./eval.js')).evalCommand,
  stats: async () => (await import('./stats.js')).statsCommand,
  bench: async () => (await import('./bench.js')).benchCommand,
};

/**
 * Runs the CLI; resolves to the exit code. Errors become one line on stderr, never a stack trace.
 * `prepare` runs before a command (not for `--help`): bin.ts chooses the backend there.
 */
export async function main(argv: string[], signal: AbortSignal, prepare?: () => Promise<void>): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`phys: unknown command '${name}'\n${USAGE}\n`);
    return 2;
  }
  const interrupted = (): number => {
    removeOutputs();
    process.stderr.write('phys: interrupted; no output written\n');
    return INTERRUPTED_EXIT_CODE;
  };
  try {
    const command = await load();
    if (prepare && !rest.some((a) => a === '--help' || a === '-h')) await prepare();
    const code = await command(rest, signal);
    // A signal that arrived during the last model call or the write still cancels the run.
    return signal.aborted ? interrupted() : code;
  } catch (e) {
    if (signal.aborted) return interrupted();
    const err = e as Error & { code?: string };
    const usage = e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS') === true;
    const message = usage || e instanceof PhysError ? err.message : `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}`;
    process.stderr.write(`phys ${name}: error: ${message.split('\n')[0] ?? ''}\n`);
    if (process.env.PHYS_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
    return usage ? 2 : 1;
  }
}
