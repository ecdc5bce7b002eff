// Interruption of the `phys` process: SIGINT, SIGTERM and SIGHUP (and the death of the launcher,
// for npx, which does not pass a SIGTERM on) abort one AbortController; a second signal exits at
// once. Outputs written during the run are registered so an interrupted run removes them.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

/** Exit code of an interrupted run (128 + SIGINT, what shells report for Ctrl-C). */
export const INTERRUPTED_EXIT_CODE = 130;

/** The reason the run's signal is aborted with. */
export class InterruptError extends Error {
  override name = 'AbortError';
  constructor(readonly source: string) {
    super(`interrupted (${source})`);
  }
}

const written = new Set<string>();

/** Records a file this run wrote (kept only if the run is not interrupted). */
export function registerOutput(file: string): void {
  written.add(file);
}

/** Removes every file this run wrote; returns them. Called when the run was interrupted. */
export function removeOutputs(): string[] {
  const files = [...written];
  for (const f of files) rmSync(f, { force: true });
  written.clear();
  return files;
}

/** Parent process id of `pid` (Linux: /proc; elsewhere `ps`), or undefined when unknown. */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    try {
      const ppid = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Options of {@link installInterruptHandlers}. */
export interface InterruptOptions {
  /**
   * Whether to watch the launcher (default: when started by `npm exec`/`npx`, which run us under
   * `sh -c` and do not pass a SIGTERM they receive on). The parent and its parent are polled every
   * `parentPollMs` ms; when either goes away the run is interrupted as if by SIGTERM. Off for
   * plain launches, so `nohup phys ... &` outlives its shell.
   */
  watchLauncher?: boolean;
  /** Poll interval of the launcher watch in ms (default 200). */
  parentPollMs?: number;
}

/**
 * Installs the handlers and returns the controller whose signal the commands receive. The first
 * signal aborts it (the command stops within one model call and writes nothing); a second exits
 * with {@link INTERRUPTED_EXIT_CODE} at once.
 */
export function installInterruptHandlers(options: InterruptOptions = {}): AbortController {
  const controller = new AbortController();
  const interrupt = (source: string): void => {
    if (controller.signal.aborted) {
      removeOutputs();
      process.exit(INTERRUPTED_EXIT_CODE);
    }
    controller.abort(new InterruptError(source));
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(s, () => {
      interrupt(s);
    });
  }
  const watch = options.watchLauncher ?? process.env.npm_command === 'exec';
  if (watch) {
    const parent = process.ppid;
    const grandparent = parentPid(parent);
    const timer = setInterval(() => {
      if (process.ppid !== parent || (grandparent !== undefined && parentPid(parent) !== grandparent)) {
        clearInterval(timer);
        interrupt('launcher exited');
      }
    }, options.parentPollMs ?? 200);
    timer.unref();
  }
  return controller;
}
