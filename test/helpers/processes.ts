/** Whether a process (or, with a negative pid, a process group) exists: signal 0 checks without sending anything. */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
