import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchRow {
  /** What was measured, e.g. "join → first remote frame". */
  name: string;
  value: number | string;
  unit: string;
  /** How it was measured, briefly. */
  detail?: string;
  /** The target, e.g. "≤ 400 ms". */
  target?: string;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

export const round = (n: number, d = 0) => Math.round(n * 10 ** d) / 10 ** d;

const CLK_TCK = 100;
/** utime+stime of a process in seconds (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Starts the embedded OpenVidu server as its own process so its CPU can be measured alone. */
export async function startServerProcess(
  env: Record<string, string> = {},
): Promise<{ url: string; secret: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'demo-server/embedded-openvidu/cli.ts')], {
    cwd: root,
    env: { ...process.env, OPENVIDU_PORT: '0', OPENVIDU_SECRET: 'BENCH_SECRET', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /server at (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url,
    secret: 'BENCH_SECRET',
    child,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

/** One table of every suite's rows: suite, measure, value, target, how. */
export function printTable(suites: Record<string, BenchRow[]>) {
  const rows = Object.entries(suites).flatMap(([suite, rs]) => rs.map((r) => ({ suite, ...r })));
  const cols = [
    { head: 'suite', cell: (r: (typeof rows)[number]) => r.suite },
    { head: 'measure', cell: (r: (typeof rows)[number]) => r.name },
    { head: 'value', cell: (r: (typeof rows)[number]) => `${r.value} ${r.unit}`, right: true },
    { head: 'target', cell: (r: (typeof rows)[number]) => r.target ?? '' },
    { head: 'how', cell: (r: (typeof rows)[number]) => r.detail ?? '' },
  ];
  const widths = cols.map((c) => Math.max(c.head.length, ...rows.map((r) => c.cell(r).length)));
  const line = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) => (cols[i].right ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(line(cols.map((c) => c.head)));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => c.cell(r))));
}
