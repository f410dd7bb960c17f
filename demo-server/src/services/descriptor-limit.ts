// The process's file-descriptor budget (RLIMIT_NOFILE). Every event stream holds a socket, and so does everything
// else: uploads, OpenVidu's WebSockets and UDP ports, ffmpeg's pipes and files. When the budget runs out, accept()
// and open() fail with EMFILE for everyone, so streams get only part of it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface DescriptorLimits {
  soft: number;
  hard: number;
}

/** Descriptors always kept out of the streams' share, however low the limit. */
const MIN_RESERVE = 256;

/** The soft and hard limits from /proc/self/limits (Linux); undefined elsewhere or when unreadable. */
export function readDescriptorLimits(file = '/proc/self/limits'): DescriptorLimits | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!m) return undefined;
  const n = (v: string) => (v === 'unlimited' ? Infinity : Number(v));
  return { soft: n(m[1]), hard: n(m[2]) };
}

let tried = false;

/**
 * Raise this process's soft limit to its hard limit, as an unprivileged process may. Node has no setrlimit, so
 * util-linux's `prlimit` does it on our pid; without it (or off Linux) the limits stay as they are. Returns the
 * limits in force afterwards. Done once per process.
 */
export function raiseDescriptorLimit(): DescriptorLimits | undefined {
  const current = readDescriptorLimits();
  if (!current || tried || current.soft >= current.hard || !Number.isFinite(current.hard)) return current;
  tried = true;
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${current.hard}:${current.hard}`], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return current; // no prlimit, or not allowed: keep what we have
  }
  return readDescriptorLimits() ?? current;
}

/**
 * How many event streams may be open in total: the configured number, but never more than the soft limit minus a
 * reserve of half of it (at least 256) for everything else. Unknown limits: the configured number.
 */
export function sseBudget(configured: number, limits: DescriptorLimits | undefined): { total: number; reserve: number } {
  if (!limits || !Number.isFinite(limits.soft)) return { total: configured, reserve: 0 };
  const reserve = Math.max(MIN_RESERVE, Math.floor(limits.soft / 2));
  return { total: Math.max(1, Math.min(configured, limits.soft - reserve)), reserve };
}
