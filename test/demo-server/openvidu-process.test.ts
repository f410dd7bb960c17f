// `npm start` runs the embedded OpenVidu as a process of its own: started, watched, restarted after a death, stopped
// with the reference server (no orphan), reported when it cannot start. And `npm start` starts from a path that
// holds a space.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { root } from '../helpers/demo-page.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { startOvBrowser } from '../helpers/ov-browser.js';
import { sleep } from '../helpers/until.js';
import { alive } from '../helpers/processes.js';

interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `re` in the output (stdout and stderr), or rejects when the process ends. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
  detached: boolean;
}

function run(command: string, args: string[], env: Record<string, string>, opts: { cwd?: string; detached?: boolean } = {}): Started {
  const child = spawn(command, args, {
    cwd: opts.cwd ?? root,
    detached: opts.detached,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', HTTPS: '', OPENVIDU_URL: '', OPENVIDU_SECRET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (c: Buffer) => {
    out += c;
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const waitFor = (re: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (!m) return;
        done();
        resolve(m);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${re} within ${timeoutMs} ms:\n${out}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      void exited.then((code) => {
        if (!waiters.has(check)) return;
        check();
        if (!waiters.has(check)) return;
        done();
        reject(new Error(`exited (${code}) before ${re}:\n${out}`));
      });
      check();
    });
  return { child, output: () => out, waitFor, exited, detached: !!opts.detached };
}

const BANNER = /ov-live-elements demo: (http:\/\/127\.0\.0\.1:\d+)\/[\s\S]*?OpenVidu: +embedded, process (\d+) \((http:\/\/127\.0\.0\.1:\d+)\)/;

async function tokenAndJoin(base: string, room: string): Promise<void> {
  const res = await fetch(`${base}/api/sessions/${room}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 201, await res.clone().text());
  const { token } = (await res.json()) as { token: string };
  const rpc = await RpcClient.connect(token);
  try {
    const joined = await rpc.join(token);
    assert.ok(joined.id, 'joined with a connection id');
  } finally {
    rpc.close();
  }
}

describe('the embedded OpenVidu in its own process', { skip: process.platform === 'win32' && 'process groups' }, () => {
  const dirs: string[] = [];
  const started: Started[] = [];
  const tmp = (prefix: string) => {
    const d = mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  after(async () => {
    for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) process.kill(s.detached ? -s.child.pid! : s.child.pid!, 'SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('npm start: a separate process; killed with SIGKILL, it is started again and tokens work; Ctrl-C stops both', { timeout: 180_000 }, async () => {
    const dataDir = tmp('ov-process-');
    // Without prestart's rebuild of the elements (not what this is about, and slow while sources change).
    const npm = run('npm', ['start', '--silent', '--ignore-scripts'], { DATA_DIR: dataDir }, { detached: true });
    started.push(npm);
    const [, base, pidText, ovUrl] = await npm.waitFor(BANNER, 120_000);
    const ovPid = Number(pidText);
    assert.ok(alive(ovPid), 'the OpenVidu process runs');
    assert.notEqual(ovPid, npm.child.pid);
    assert.match(readFileSync(`/proc/${ovPid}/cmdline`, 'utf8'), /embedded-openvidu[/\\]cli\.[tj]s/, 'it runs the CLI of `npm run openvidu`');
    assert.notEqual(new URL(ovUrl).port, new URL(base).port, 'on a port of its own');
    const health = (await (await fetch(`${base}/api/health`)).json()) as { openvidu: string; openviduReachable: boolean };
    assert.deepEqual([health.openvidu, health.openviduReachable], ['embedded', true]);
    await tokenAndJoin(base, 'before-kill');

    process.kill(ovPid, 'SIGKILL');
    // The server's warning, a pino line: {"pid":<server>,…,"msg":"[openvidu] the OpenVidu process started again (pid <new>)…"}
    const [line, newPidText] = await npm.waitFor(/^.*started again \(pid (\d+)\).*$/m, 30_000);
    const serverPidText = /"pid":(\d+)/.exec(line)?.[1];
    const newPid = Number(newPidText);
    const serverPid = Number(serverPidText);
    assert.notEqual(newPid, ovPid);
    assert.ok(alive(newPid), 'a new OpenVidu process runs');
    assert.equal(alive(ovPid), false);
    await tokenAndJoin(base, 'before-kill'); // the room the dead process knew: created again
    await tokenAndJoin(base, 'after-kill');

    process.kill(-npm.child.pid!, 'SIGINT'); // Ctrl-C in the terminal: the whole foreground group
    // npm itself ends by the signal; the server says it finishes its clips, and ends with its child.
    const ended = await Promise.race([npm.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 30_000))]);
    assert.ok(ended, `ended within 30 s:\n${npm.output()}`);
    assert.match(npm.output(), /Stopping: finishing clips being recorded/);
    assert.equal(alive(serverPid), false, 'the reference server ended');
    assert.equal(alive(newPid), false, 'the OpenVidu process ended with it');
  });

  it(
    'Ctrl-C while a clip records: the OpenVidu process finishes it before both exit; at the next start it is ready, not recovered',
    { timeout: 180_000 },
    async () => {
      const dataDir = tmp('ov-process-');
      const serverCmd = [process.execPath, ['--import', 'tsx', path.join(root, 'demo-server/src/server.ts')]] as const;
      const server = run(serverCmd[0], [...serverCmd[1]], { DATA_DIR: dataDir });
      started.push(server);
      const [, base, pidText] = await server.waitFor(BANNER);
      const chromium = await startOvBrowser();
      let clipId = '';
      try {
        const res = await fetch(`${base}/api/sessions/stop-room/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Ana' }),
        });
        const { token } = (await res.json()) as { token: string };
        const p = await chromium.participant();
        await p.join(token);
        await p.publish();
        const clip = await fetch(`${base}/api/sessions/stop-room/clips`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        const begun = (await clip.json()) as { id: string; status: string };
        assert.equal(clip.status, 201, JSON.stringify(begun));
        clipId = begun.id;
        await sleep(2500);
        server.child.kill('SIGINT');
        assert.equal(await server.exited, 0, server.output());
        assert.equal(alive(Number(pidText)), false, 'the OpenVidu process ended too');
      } finally {
        await chromium.close();
      }
      const again = run(serverCmd[0], [...serverCmd[1]], { DATA_DIR: dataDir });
      started.push(again);
      const [, base2] = await again.waitFor(BANNER);
      const got = (await (await fetch(`${base2}/api/clips/${encodeURIComponent(clipId)}`)).json()) as { status: string; recovered?: boolean; duration: number };
      assert.equal(got.status, 'ready', JSON.stringify(got));
      assert.equal(got.recovered, undefined, 'finished at the stop, not rebuilt by the crash recovery');
      assert.ok(got.duration > 1, `duration ${got.duration}`);
      again.child.kill('SIGINT');
      await again.exited;
    },
  );

  it('SIGKILL of the reference server: its OpenVidu process does not outlive it', { timeout: 120_000 }, async () => {
    const server = run(process.execPath, ['--import', 'tsx', path.join(root, 'demo-server/src/server.ts')], { DATA_DIR: tmp('ov-process-') });
    started.push(server);
    const [, , pidText] = await server.waitFor(BANNER);
    const ovPid = Number(pidText);
    assert.ok(alive(ovPid));
    server.child.kill('SIGKILL');
    await server.exited;
    const deadline = Date.now() + 5000;
    while (alive(ovPid) && Date.now() < deadline) await sleep(50);
    assert.equal(alive(ovPid), false, 'gone within 5 s');
  });

  it('an OpenVidu process that cannot start: the server says why and exits non-zero', { timeout: 120_000 }, async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const busy = (holder.address() as net.AddressInfo).port;
    try {
      const server = run(process.execPath, ['--import', 'tsx', path.join(root, 'demo-server/src/server.ts')], {
        DATA_DIR: tmp('ov-process-'),
        EMBEDDED_OPENVIDU_PORT: String(busy),
      });
      started.push(server);
      const code = await server.exited;
      assert.notEqual(code, 0);
      assert.match(server.output(), new RegExp(`embedded OpenVidu did not start \\(EMBEDDED_OPENVIDU_PORT ${busy} is in use`));
      assert.match(server.output(), /EADDRINUSE/, 'with what the process said');
      assert.doesNotMatch(server.output(), /ov-live-elements demo:/);
    } finally {
      holder.close();
    }
  });

  it('starts from a path with a space in it (reached through a symlink)', { timeout: 120_000 }, async () => {
    const dir = tmp('ov space ');
    const link = path.join(dir, 'the repo');
    symlinkSync(root, link);
    const server = run(process.execPath, ['--import', 'tsx', path.join(link, 'demo-server/src/server.ts')], { DATA_DIR: tmp('ov-process-') });
    started.push(server);
    const [, base] = await server.waitFor(/ov-live-elements demo: (http:\/\/127\.0\.0\.1:\d+)\//);
    assert.equal((await fetch(`${base}/api/health`)).status, 200);
    server.child.kill('SIGINT');
    assert.equal(await server.exited, 0);
  });
});
