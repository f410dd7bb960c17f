// One watched child process (the embedded OpenVidu, coturn): started again when it dies, sooner after a long run,
// later each time it keeps dying; stopped with SIGTERM, then SIGKILL after a grace.
import type { ChildProcess } from 'node:child_process';

export type SupervisorLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface SupervisorOptions {
  /** How log lines name the process, e.g. "the OpenVidu process", "coturn". */
  name: string;
  /** Starts one process, resolved once it serves; rejects when it cannot. */
  launch(): Promise<ChildProcess>;
  /** The first process, already launched. */
  first: ChildProcess;
  /** Delay before a restart, doubled up to the second value while it keeps failing. */
  restartDelayMs: [first: number, max: number];
  /** SIGTERM → SIGKILL after this long. */
  stopGraceMs: number;
  /** Said when a process was started again (after the pid), e.g. what it recovers. */
  restartedNote?: string;
  /** Whether to log the SIGKILL after the grace (a process that has work to finish). */
  logKill?: boolean;
  log(level: SupervisorLogLevel, msg: string, pid: number | undefined): void;
}

export interface Supervisor {
  /** The running process, or undefined between a death and its restart. */
  readonly child: ChildProcess | undefined;
  readonly restarts: number;
  /** Stops restarting and stops the process (waits for a restart under way). */
  close(): Promise<void>;
}

export function supervise(opts: SupervisorOptions): Supervisor {
  const [firstDelay, maxDelay] = opts.restartDelayMs;
  let child: ChildProcess | undefined;
  let restarts = 0;
  let delay = firstDelay;
  let closing: Promise<void> | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let relaunching: Promise<unknown> | undefined;

  const stop = async (proc: ChildProcess) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (opts.logKill) opts.log('warn', `${opts.name} ${proc.pid} did not stop within ${opts.stopGraceMs / 1000} s: killed`, proc.pid);
      proc.kill('SIGKILL');
    }, opts.stopGraceMs);
    await exited;
    clearTimeout(timer);
  };

  const watch = (proc: ChildProcess) => {
    child = proc;
    const startedAt = Date.now();
    proc.once('exit', (code, signal) => {
      if (child === proc) child = undefined;
      if (closing) return;
      // A process that ran for a while starts again quickly; one that keeps dying waits longer each time.
      if (Date.now() - startedAt > 60_000) delay = firstDelay;
      opts.log('error', `${opts.name} ${proc.pid} ended (${signal ?? `exit code ${code}`}); starting it again in ${delay} ms`, proc.pid);
      schedule();
    });
  };

  const schedule = () => {
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (closing) return;
      relaunching = opts.launch().then(
        async (proc) => {
          restarts++;
          if (closing) return stop(proc);
          watch(proc);
          opts.log('warn', `${opts.name} started again (pid ${proc.pid})${opts.restartedNote ? `; ${opts.restartedNote}` : ''}`, proc.pid);
        },
        (err: Error) => {
          if (closing) return;
          opts.log('error', `${opts.name} could not start again (${err.message}); next try in ${delay} ms`, undefined);
          schedule();
        },
      );
      delay = Math.min(delay * 2, maxDelay);
    }, delay);
  };

  watch(opts.first);
  return {
    get child() {
      return child;
    },
    get restarts() {
      return restarts;
    },
    close: () =>
      (closing ??= (async () => {
        clearTimeout(restartTimer);
        await relaunching;
        if (child) await stop(child);
      })()),
  };
}
