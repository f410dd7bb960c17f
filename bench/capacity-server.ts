// The server under test of the capacity bench: `npm start`'s server (reference server + its embedded OpenVidu
// child, whose ffmpeg recorders and coturn are its children) pinned to core 0 with taskset, which every child
// inherits; and what it costs: the CPU of its whole process tree, and core 0's busy time.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { root } from './lib.js';

const CLK_TCK = 100;

interface ProcInfo {
  ppid: number;
  comm: string;
  cpu: number;
}

function procs(): Map<number, ProcInfo> {
  const out = new Map<number, ProcInfo>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(Number(d), { ppid: Number(f[1]), comm, cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Every process of the trees rooted at `roots`: pid → CPU seconds and command. */
export function tree(roots: number[]): Map<number, ProcInfo> {
  const all = procs();
  const keep = new Map<number, ProcInfo>();
  const want = new Set(roots);
  // Parents come before children often but not always: repeat until no process joins.
  for (let added = true; added;) {
    added = false;
    for (const [pid, p] of all)
      if (!keep.has(pid) && (want.has(pid) || keep.has(p.ppid))) {
        keep.set(pid, p);
        added = true;
      }
  }
  return keep;
}

/** CPU seconds the trees used between two `tree()` snapshots (processes born meanwhile count from zero). */
export function cpuBetween(a: Map<number, ProcInfo>, b: Map<number, ProcInfo>): number {
  let s = 0;
  for (const [pid, p] of b) s += p.cpu - (a.get(pid)?.cpu ?? 0);
  return s;
}

/** The same, per kind of process: the root's own, then by command name (node for OpenVidu, ffmpeg, turnserver). */
export function cpuByKind(a: Map<number, ProcInfo>, b: Map<number, ProcInfo>, rootPid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, p] of b) {
    const kind = pid === rootPid ? 'server' : p.comm === 'node' ? 'openvidu' : p.comm;
    out[kind] = (out[kind] ?? 0) + p.cpu - (a.get(pid)?.cpu ?? 0);
  }
  return out;
}

/** Busy and total jiffies of one CPU (/proc/stat). */
export function cpuTimes(cpu: number): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `))!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Pins every thread of this process to `cpus`; returns the former list, to restore. */
export function pinSelf(cpus: string): string {
  const before = /: (\S+)\s*$/.exec(execFileSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' }))?.[1] ?? `0-${os.cpus().length - 1}`;
  execFileSync('taskset', ['-a', '-pc', cpus, String(process.pid)], { stdio: 'ignore' });
  return before;
}

export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  s.close();
  return port;
}

/** Whether `npm start` runs coturn itself with TURN=embedded (the coturn child exists in this tree). */
export function embeddedTurnAvailable(): boolean {
  if (process.env.BENCH_CAPACITY_TURN === 'own') return false;
  const server = path.join(root, 'demo-server/src/server.ts');
  return existsSync(path.join(root, 'demo-server/src/turn-process.ts')) && readFileSync(server, 'utf8').includes('turn-process');
}

const RELAY_RANGE = '50100-50399';

/** Debian's coturn run by the bench itself (when TURN=embedded is not there): loopback only, use-auth-secret. */
export async function startOwnTurn(cpus: string, secret: string): Promise<{ child: ChildProcess; urls: string; stop(): Promise<void> }> {
  const port = await freeUdpPort();
  const [min, max] = RELAY_RANGE.split('-');
  const args = ['-c', cpus, '/usr/bin/turnserver', '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`];
  args.push(`--min-port=${min}`, `--max-port=${max}`, '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=bench.local');
  // The media server is on loopback here: allow that one peer (a public deployment denies loopback and private ranges).
  args.push('--allow-loopback-peers', '--no-tls', '--no-dtls', '--no-cli', '--fingerprint', '--no-stdout-log', '--log-file=/dev/null');
  const child = spawn('taskset', args, { stdio: 'ignore' });
  // Ready when it answers: a TCP connect to its port succeeds.
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) break;
    if (child.exitCode !== null || i > 100) throw new Error(`turnserver did not start (exit ${child.exitCode})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    urls: `turn:127.0.0.1:${port}?transport=udp`,
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill(signal);
  });
}

export interface ServerUnderTest {
  url: string;
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
}

/** `taskset -c <cpus> node demo-server/src/server.ts` with `env` on top of a loopback configuration. */
export async function startServer(cpus: string, env: Record<string, string>): Promise<ServerUnderTest> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ov-capacity-'));
  const child = spawn('taskset', ['-c', cpus, process.execPath, '--import', 'tsx', path.join(root, 'demo-server/src/server.ts')], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      HTTPS: '',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // Every participant comes from one address here: the per-client limits would (rightly) stop the ramp.
      RATE_LIMIT_PER_MINUTE: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no URL within 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ov-live-elements demo: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}):\n${out}`));
    });
  }).catch(async (err: Error) => {
    await stopChild(child, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  child.stdout!.resume();
  return {
    url,
    pid: child.pid!,
    dataDir,
    stop: async () => {
      // SIGTERM: the server finishes clips still recording, stops OpenVidu (and its coturn), then exits.
      await stopChild(child, 'SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
