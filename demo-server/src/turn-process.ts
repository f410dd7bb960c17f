// `TURN=embedded`: Debian's coturn (`turnserver`) as a child of the reference server, configured by turn-config.ts,
// watched and restarted like the OpenVidu process, and never left behind: the kernel kills it when the server dies
// (setpriv's parent-death signal), and a start kills one a killed server left (its pidfile, checked in /proc).
import { spawn, type ChildProcess } from 'node:child_process';
import { supervise } from './child-supervisor.js';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Config } from './config.js';
import { turnConfigText, turnHost, turnListenIp, turnUrls, type TurnSettings } from './turn-config.js';

export type TurnLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface TurnProcessOptions {
  config: TurnSettings & Pick<Config, 'dataDir' | 'turnSecret'>;
  /** Every line coturn prints, with a level (its ordinary chatter is debug). */
  log: (level: TurnLogLevel, msg: string, pid: number | undefined) => void;
  /** The program (default: `turnserver` on PATH). */
  command?: string;
  startTimeoutMs?: number;
  /** Restart delays: the first, doubled on each quick death up to the last (default 500 ms … 30 s). */
  restartDelayMs?: [first: number, max: number];
}

export interface TurnProcess {
  /** The URLs browsers are given, and the secret their credentials are made with. */
  readonly urls: string[];
  readonly secret: string;
  readonly configPath: string;
  /** The running coturn, or undefined between a death and its restart. */
  readonly pid: number | undefined;
  readonly restarts: number;
  /** coturn re-reads TLS_CERT / TLS_KEY (SIGUSR2), keeping its allocations: call it when the files change. */
  reloadCertificate(): void;
  /** Never the secret, whatever serializes this object. */
  toJSON(): object;
  close(): Promise<void>;
}

export class TurnStartError extends Error {
  readonly code = 'TURN_START';
}

const executable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** An executable on PATH (or the standard system directories), or undefined. */
export function findProgram(name: string, env = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return dirs.map((dir) => path.join(dir, name)).find(executable);
}

/** TURN_SECRET, else a random one kept in `<dataDir>/turn-secret` (owner only), so credentials survive restarts. */
export async function turnSecret(config: Pick<Config, 'dataDir' | 'turnSecret'>): Promise<string> {
  if (config.turnSecret) return config.turnSecret;
  const file = path.join(config.dataDir, 'turn-secret');
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (/^[!-~]{16,256}$/.test(kept)) return kept;
  } catch {
    // none yet
  }
  const made = randomBytes(32).toString('base64url');
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(`${file}.tmp`, made + '\n', { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return made;
}

/** The command line of a running process, or undefined. */
async function cmdline(pid: number): Promise<string[] | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** A coturn a killed server left running with this configuration: killed, so it frees its ports. True if one was. */
async function killLeftover(pidFile: string, configPath: string): Promise<boolean> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isSafeInteger(pid) || pid <= 1) return false;
  const isOurs = (argv?: string[]) => !!argv && path.basename(argv[0] ?? '') === 'turnserver' && argv.includes(configPath);
  if (!isOurs(await cmdline(pid))) return false;
  process.kill(pid, 'SIGKILL');
  // Its command line empties before its sockets close: wait for it to be a zombie, or gone.
  const exited = async () => / Z /.test((await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ' Z ')).replace(/^.*\)/s, ''));
  for (let i = 0; i < 100 && !(await exited()); i++) await new Promise((r) => setTimeout(r, 50));
  return true;
}

/** Fails with EADDRINUSE when something holds the port: coturn itself would share it silently (SO_REUSEPORT). */
async function checkFree(port: number, host: string | undefined, name: string): Promise<void> {
  const inUse = (err: NodeJS.ErrnoException) =>
    new TurnStartError(`${name} ${port} is in use${err.code === 'EADDRINUSE' ? '' : ` (${err.message})`}: stop what holds it or set ${name} to another port`);
  await new Promise<void>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (e) => reject(inUse(e)));
    s.listen({ port, host: host ?? '0.0.0.0', exclusive: true }, () => s.close(() => resolve()));
  });
  await new Promise<void>((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', (e) => {
      s.close();
      reject(inUse(e));
    });
    s.bind({ port, address: host ?? '0.0.0.0', exclusive: true }, () => s.close(() => resolve()));
  });
}

/** Whether coturn answers a STUN Binding over UDP and accepts a TCP connection on `port`. */
async function answers(host: string, port: number): Promise<boolean> {
  const udp = new Promise<boolean>((resolve) => {
    const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const id = randomBytes(12);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 300);
    s.on('error', () => done(false));
    s.on('message', (m) => done(m.length >= 20 && m.readUInt16BE(0) === 0x0101 && m.subarray(8, 20).equals(id)));
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0);
    req.writeUInt32BE(0x2112a442, 4);
    id.copy(req, 8);
    s.send(req, port, host);
  });
  const tcp = new Promise<boolean>((resolve) => {
    const c = net.connect({ port, host });
    const timer = setTimeout(() => c.destroy(), 300);
    c.once('connect', () => {
      clearTimeout(timer);
      c.end();
      resolve(true);
    });
    c.once('close', () => resolve(false));
    c.once('error', () => undefined);
  });
  return (await udp) && (await tcp);
}

/** coturn's line (`0: : text`) without its prefix, at a level read from its text. */
function levelOf(line: string): [TurnLogLevel, string] {
  const text = line.replace(/^[0-9]+: [^:]*: ?/, '');
  if (/^socket: Protocol not supported/.test(text)) return ['debug', text]; // its SCTP listener, on a kernel without SCTP
  // What one client did wrong (a bad credential, a denied peer) is no error of the server's.
  if (/check_stun_auth|peer IP .* denied|session [0-9]+:/.test(text)) return ['info', text];
  if (/\bERROR\b/i.test(text)) return ['error', text];
  // Loopback peers are allowed only when the media is on loopback, and the denied ranges keep the others out.
  if (/allow_loopback_peers/.test(text)) return ['debug', text];
  if (/\bWARNING\b/.test(text)) return ['warn', text];
  return ['debug', text];
}

/** Start coturn; resolves once it answers on its port, rejects with a TurnStartError if it cannot. */
export async function startTurnProcess(opts: TurnProcessOptions): Promise<TurnProcess> {
  const { config } = opts;
  const program = opts.command ? (executable(opts.command) ? opts.command : undefined) : findProgram('turnserver');
  if (!program) throw new TurnStartError('TURN=embedded runs coturn, and its turnserver program is not installed: apt-get install coturn');
  const secret = await turnSecret(config);
  const dir = path.join(config.dataDir, 'turn');
  const configPath = path.join(dir, 'turnserver.conf');
  const pidFile = path.join(dir, 'turnserver.pid');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const text = turnConfigText({ config, secret, pidFile, userDb: path.join(dir, 'turndb') });
  const urls = turnUrls(config, turnHost(config));
  await writeFile(`${configPath}.tmp`, text, { mode: 0o600 });
  await rename(`${configPath}.tmp`, configPath);
  const killed = await killLeftover(pidFile, configPath);
  const listen = turnListenIp(config);
  // A coturn just killed may hold its ports a moment longer on a busy machine: then they get 3 s to come free.
  const free = async (port: number, name: string) => {
    for (let tries = killed ? 30 : 1; ; tries--) {
      try {
        return await checkFree(port, listen, name);
      } catch (err) {
        if (tries <= 1) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await free(config.turnPort, 'TURN_PORT');
  if (config.tlsCert) await free(config.turnTlsPort, 'TURN_TLS_PORT');
  const probeHost = listen ?? '127.0.0.1';
  // The kernel sends SIGKILL to coturn when this process dies, however it dies (Linux; util-linux's setpriv).
  const setpriv = findProgram('setpriv');
  const argv = setpriv ? [setpriv, '--pdeathsig', 'KILL', program, '-c', configPath] : [program, '-c', configPath];
  const startTimeout = opts.startTimeoutMs ?? 15_000;

  const launch = async (): Promise<ChildProcess> => {
    // Its own process group: a Ctrl-C reaches the server, which stops it in turn.
    const proc = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let exited: string | undefined;
    for (const stream of [proc.stdout!, proc.stderr!])
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        if (!line.trim()) return;
        const safe = line.split(secret).join('[secret]');
        tail.push(safe);
        if (tail.length > 20) tail.shift();
        const [level, msg] = levelOf(safe);
        opts.log(level, msg, proc.pid);
      });
    proc.once('exit', (code, signal) => (exited = signal ?? `exit code ${code}`));
    proc.once('error', (err) => (exited = err.message));
    const deadline = Date.now() + startTimeout;
    while (!exited && Date.now() < deadline) {
      if (await answers(probeHost, config.turnPort)) {
        if (!exited) return proc;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!exited) proc.kill('SIGKILL');
    throw new TurnStartError(
      `coturn did not start (${exited ?? `no answer on port ${config.turnPort} within ${startTimeout / 1000} s`}): ${tail.slice(-5).join(' | ')}`,
    );
  };

  const supervisor = supervise({
    name: 'coturn',
    first: await launch(),
    launch,
    restartDelayMs: opts.restartDelayMs ?? [500, 30_000],
    stopGraceMs: 2000, // coturn keeps nothing to finish: a short grace, then gone
    log: opts.log,
  });
  return {
    urls,
    secret,
    configPath,
    get pid() {
      return supervisor.child?.pid;
    },
    get restarts() {
      return supervisor.restarts;
    },
    reloadCertificate: () => void supervisor.child?.kill('SIGUSR2'),
    toJSON: () => ({ urls, pid: supervisor.child?.pid, restarts: supervisor.restarts }),
    close: () => supervisor.close(),
  };
}
