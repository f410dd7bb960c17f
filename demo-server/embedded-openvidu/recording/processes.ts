import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/*
 * No ffmpeg outlives the server that started it, however the server dies.
 *
 * 1. A watchdog: one `sh` per server process, reading a pipe from Node. Node writes `+<pid>` when it starts a child
 *    and `-<pid>` when the child has ended. When Node dies, even by SIGKILL or the OOM killer, the kernel closes
 *    the pipe; the shell's `read` sees its end and SIGKILLs the pids still listed. The children themselves are
 *    spawned directly, so signals, exit codes and stderr are theirs. The shell ignores INT, TERM and HUP: a Ctrl-C
 *    in a terminal reaches the whole process group, and the server finishes its recordings before it exits.
 * 2. A pid file in the recording folder (`.ffmpeg-pids`) lists the children working under it. At the next start the
 *    listed pids that are still an ffmpeg or ffprobe with an argument under that folder are killed: what is left
 *    when the watchdog died with the server (`kill -9` of both). Anything else, e.g. a pid reused since, is left
 *    alone. Linux only (it reads /proc); the watchdog works wherever there is a POSIX shell.
 */

export const PID_FILE = '.ffmpeg-pids';

// Pids are numbers we wrote ourselves; `%%`/`#` cut one " pid " out of the space-separated list.
const WATCHDOG_SCRIPT = `trap '' INT TERM HUP
p=' '
while IFS= read -r l; do
  case $l in
    +*) p="$p\${l#+} " ;;
    -*) x=\${l#-}; case $p in *" $x "*) p="\${p%% $x *} \${p#* $x }" ;; esac ;;
  esac
done
[ "$p" = ' ' ] || kill -9 $p 2>/dev/null`;

/** Pids of the live children started through `processStarted`. */
const live = new Set<number>();
let watchdog: ChildProcess | undefined;
let watchdogBroken = process.platform === 'win32';

function watchdogWrite(line: string): void {
  if (watchdogBroken) return;
  if (!watchdog || watchdog.exitCode !== null || watchdog.signalCode !== null || !watchdog.stdin?.writable) {
    try {
      watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'] });
    } catch {
      watchdogBroken = true;
      return;
    }
    watchdog.once('error', () => (watchdogBroken = true));
    watchdog.stdin!.on('error', () => {}); // it died: the next write starts another one
    // Neither the shell nor its pipe keeps this process alive.
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
    // A new watchdog (the previous one was killed) learns every child still running.
    for (const pid of live) if (`+${pid}\n` !== line) watchdog.stdin!.write(`+${pid}\n`);
  }
  watchdog.stdin!.write(line);
}

interface Folder {
  file: string;
  pids: Set<number>;
  writing?: Promise<void>;
  dirty: boolean;
}

/** Recording folders whose children are listed in their pid file, by absolute path. */
const folders = new Map<string, Folder>();

const under = (arg: string, root: string) => arg.includes(root + path.sep);

function saveSoon(f: Folder): void {
  f.dirty = true;
  if (f.writing) return;
  f.writing = (async () => {
    while (f.dirty) {
      f.dirty = false;
      const text = [...f.pids].map((p) => `${p}\n`).join('');
      const tmp = `${f.file}.${process.pid}.tmp`;
      try {
        if (text) {
          await writeFile(tmp, text);
          await rename(tmp, f.file);
        } else await rm(f.file, { force: true });
      } catch {
        await rm(tmp, { force: true }).catch(() => {});
      }
    }
  })().finally(() => (f.writing = undefined));
}

/** A child has started: the watchdog and the pid file of every folder it works under learn its pid. */
export function processStarted(pid: number, args: readonly string[]): void {
  live.add(pid);
  watchdogWrite(`+${pid}\n`);
  for (const [root, f] of folders) {
    if (!args.some((a) => under(a, root))) continue;
    f.pids.add(pid);
    saveSoon(f);
  }
}

/** A child has ended (reaped): nobody may kill its pid any more. */
export function processEnded(pid: number): void {
  if (!live.delete(pid)) return;
  watchdogWrite(`-${pid}\n`);
  for (const f of folders.values()) if (f.pids.delete(pid)) saveSoon(f);
}

/** List the children working under `root` in its pid file from now on. */
export function trackFolder(root: string): void {
  const abs = path.resolve(root);
  if (!folders.has(abs)) folders.set(abs, { file: path.join(abs, PID_FILE), pids: new Set(), dirty: false });
}

/** Stop listing (the server using the folder has stopped); waits for the last write. */
export async function untrackFolder(root: string): Promise<void> {
  const abs = path.resolve(root);
  const f = folders.get(abs);
  if (!f) return;
  folders.delete(abs);
  await f.writing;
}

/** Zombies count as gone: the kill has landed, only the reaping is left. */
function gone(pid: number): boolean {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/**
 * Kill what a previous server left running under `root`: the pids of its pid file that are still an ffmpeg or
 * ffprobe with an argument under `root`. Waits (at most 2 s) until they are gone, so that nobody writes the files
 * a recovery is about to read. Returns the pids killed.
 */
export async function sweepStrays(root: string): Promise<number[]> {
  const abs = path.resolve(root);
  const file = path.join(abs, PID_FILE);
  if (process.platform !== 'linux') return [];
  const text = await readFile(file, 'utf8').catch(() => '');
  const killed: number[] = [];
  for (const pid of new Set(
    text
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number),
  )) {
    if (pid === process.pid || live.has(pid)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue; // not running
    }
    if (!argv.length || !/^ff(mpeg|probe)/i.test(path.basename(argv[0])) || !argv.slice(1).some((a) => under(a, abs))) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      /* gone meanwhile, or not ours to kill */
    }
  }
  for (const until = Date.now() + 2000; killed.some((p) => !gone(p)) && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
  if (text && !folders.get(abs)?.pids.size) await rm(file, { force: true }).catch(() => {});
  return killed;
}
