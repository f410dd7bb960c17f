// Network namespaces made by a test: `ip netns`, veth pairs between them and `iptables` inside them. Every name
// starts with `ovn<pid>-`, so a run finds (and removes) what an earlier, killed run left behind. Nothing is created in
// the machine's own namespace: each veth is made inside a namespace with its peer in another one, and the addresses
// exist only inside the namespaces, so deleting the namespaces removes everything.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { alive } from '../helpers/processes.js';

export const BASE_PREFIX = 'ovn';

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });

/** Why namespaces cannot be made here (the reason the tests skip with), or undefined when they can. */
export function netnsUnsupported(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces exist on Linux only';
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root (run under .ci/run, or as root)';
  for (const tool of ['ip', 'iptables']) {
    if (spawnSync(tool, ['-V'], { stdio: 'ignore' }).error) return `\`${tool}\` is not installed (Debian: apt-get install iproute2 iptables)`;
  }
  // Root in a container may still lack CAP_SYS_ADMIN / CAP_NET_ADMIN: try one namespace with a NAT rule.
  const probe = `${BASE_PREFIX}${process.pid}-probe`;
  try {
    run('ip', ['netns', 'add', probe]);
    run('ip', ['netns', 'exec', probe, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-j', 'MASQUERADE']);
    return undefined;
  } catch (err) {
    return `network namespaces cannot be created here: ${String((err as { stderr?: string }).stderr || (err as Error).message).trim()}`;
  } finally {
    spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  }
}

/** Our namespaces present now (this run's and those of earlier runs). */
export const ourNamespaces = () =>
  run('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(BASE_PREFIX) && /^ovn\d+-/.test(n));

/** The processes inside namespace `ns`. */
export const pidsIn = (ns: string): number[] =>
  (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '')
    .split('\n')
    .map(Number)
    .filter((p) => p > 0);

/** Kill every process still inside namespace `ns`, then delete it (its veths go with it). */
export function removeNamespace(ns: string) {
  for (const p of pidsIn(ns)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

/** Namespaces left by runs whose process is gone (killed before their teardown) are removed. */
export function sweepLeftovers() {
  for (const ns of ourNamespaces()) {
    const owner = Number(/^ovn(\d+)-/.exec(ns)![1]);
    if (owner !== process.pid && !alive(owner)) removeNamespace(ns);
  }
}

/** A set of namespaces of this run, torn down together. */
export class Lab {
  readonly prefix = `${BASE_PREFIX}${process.pid}-`;
  private readonly made: string[] = [];

  /** A new namespace `<prefix><name>` with loopback up; ip_forward on when it routes. */
  add(name: string, opts: { router?: boolean } = {}): string {
    const ns = this.prefix + name;
    run('ip', ['netns', 'add', ns]);
    this.made.push(ns);
    this.ip(ns, 'link', 'set', 'lo', 'up');
    // /proc/sys/net is the namespace's own: the machine's forwarding setting is untouched.
    if (opts.router) this.exec(ns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
    return ns;
  }

  /** `ip -n <ns> …` */
  ip(ns: string, ...args: string[]) {
    return run('ip', ['-n', ns, ...args]);
  }

  /** A command inside `ns`. */
  exec(ns: string, cmd: string, ...args: string[]) {
    return run('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /** `iptables -t <table> …` inside `ns`. */
  iptables(ns: string, table: string, ...rule: string[]) {
    return this.exec(ns, 'iptables', '-w', '-t', table, ...rule);
  }

  /** A veth pair from `a` to `b`, addressed and up; the interface names are local to each namespace. */
  link(a: { ns: string; dev: string; addr?: string }, b: { ns: string; dev: string; addr?: string }) {
    this.ip(a.ns, 'link', 'add', a.dev, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns);
    for (const end of [a, b]) {
      if (end.addr) this.ip(end.ns, 'addr', 'add', end.addr, 'dev', end.dev);
      this.ip(end.ns, 'link', 'set', end.dev, 'up');
    }
  }

  /** The default route of `ns`. */
  route(ns: string, via: string) {
    this.ip(ns, 'route', 'add', 'default', 'via', via);
  }

  /**
   * An executable that runs `program` inside `ns` with the arguments and descriptors it is given (Playwright's pipe
   * to Chromium is descriptors 3 and 4): `ip netns exec` execs, so the process is the program itself.
   */
  wrapper(ns: string, program: string, dir: string, name: string): string {
    if (!existsSync(program)) throw new Error(`${program} not found`);
    const file = `${dir}/${name}`;
    execFileSync('sh', ['-c', `printf '#!/bin/sh\\nexec ip netns exec %s %s "$@"\\n' "$1" "$2" > "$3" && chmod +x "$3"`, 'sh', ns, program, file]);
    return file;
  }

  pidsIn(ns: string) {
    return pidsIn(ns);
  }

  /** Everything of this run goes: processes inside the namespaces, then the namespaces with their veths. */
  teardown() {
    for (const ns of this.made.splice(0).reverse()) removeNamespace(ns);
  }

  /** What is left of this run: namespaces, interfaces named after it in the machine's namespace, processes inside. */
  leftovers(): string[] {
    const left: string[] = ourNamespaces().filter((n) => n.startsWith(this.prefix));
    const links = run('ip', ['-o', 'link', 'show']);
    if (links.includes(this.prefix)) left.push('an interface named after this run in the root namespace');
    return left;
  }
}
