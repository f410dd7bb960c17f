// TURN=embedded with a real coturn, on 127.0.0.1: the server starts it, a token's connection carries REST credentials
// coturn accepts (a real Allocate over UDP and over TCP) and refuses when wrong; the relay reaches the media server's
// address and no other private one; a killed coturn starts again; none is left behind by close(), by a SIGKILLed
// server, or by a previous run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../demo-server/src/config.js';
import { startServer, type RunningServer } from '../../demo-server/src/server.js';
import { findProgram, startTurnProcess } from '../../demo-server/src/turn-process.js';
import { TurnCredentials } from '../../demo-server/src/services/turn-credentials.js';
import { loadOrCreateCertificate } from '../../demo-server/src/tls.js';
import { root } from '../helpers/demo-page.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { TurnClient } from '../helpers/turn-client.js';
import { until } from '../helpers/until.js';

const SKIP = !findProgram('turnserver') && 'coturn is not installed (Debian: apt-get install coturn)';
const HOST = '127.0.0.1';

/** A port free for both TCP and UDP on 127.0.0.1 (coturn listens on both). */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, HOST, r));
    const port = udp.address().port;
    const ok = await new Promise<boolean>((r) => {
      const s = net.createServer().once('error', () => r(false));
      s.listen(port, HOST, () => s.close(() => r(true)));
    });
    udp.close();
    if (ok) return port;
  }
  throw new Error('no port free for TCP and UDP');
}

/** A relay range of 40 ports no one uses (the ephemeral range starts at 32768 on Linux: stay below it). */
const relayRange = () => {
  const lo = 20_000 + Math.floor(Math.random() * 10_000);
  return `${lo}-${lo + 39}`;
};

const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
};
/** Processes whose command line names `text` (our configuration file: only the turnservers of this test's servers). */
const processesWith = (text: string) =>
  readdirSync('/proc')
    .filter((d) => /^[0-9]+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);

type Ice = { url: string; username: string; credential: string };

describe('TURN=embedded: coturn as the server’s child', { skip: SKIP, timeout: 120_000 }, () => {
  let dir: string;
  let server: RunningServer;
  let turnPort: number;
  const rpcs: RpcClient[] = [];
  const clients: TurnClient[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ov-turn-embedded-'));
    turnPort = await freePort();
    const config = loadConfig({
      PORT: '0',
      HOST,
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      TURN: 'embedded',
      TURN_PORT: String(turnPort),
      TURN_RELAY_PORT_RANGE: relayRange(),
      MEDIA_LISTEN_IP: HOST,
    });
    server = await startServer(config, { openvidu: 'in-process' });
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const r of rpcs) r.ws.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A token's connection, joined: the ICE servers OpenVidu gives its browser. */
  const iceServers = async (room: string): Promise<Ice[]> => {
    const res = await fetch(`${server.url}/api/sessions/${room}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 201);
    const { token } = (await res.json()) as { token: string };
    const rpc = await RpcClient.connect(token);
    rpcs.push(rpc);
    return ((await rpc.join(token)) as { customIceServers: Ice[] }).customIceServers;
  };
  const client = async (transport: 'udp' | 'tcp') => {
    const c = await (transport === 'udp' ? TurnClient.udp(HOST, turnPort) : TurnClient.tcp(HOST, turnPort));
    clients.push(c);
    return c;
  };

  it('runs coturn with its configuration and the secret readable by their owner only', () => {
    const pid = server.turn?.pid;
    assert.ok(pid && alive(pid), 'coturn runs');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    assert.equal(path.basename(argv[0]), 'turnserver');
    assert.ok(argv.includes(path.join(dir, 'turn', 'turnserver.conf')), argv.join(' '));
    for (const f of ['turn-secret', 'turn/turnserver.conf']) assert.equal(statSync(path.join(dir, f)).mode & 0o077, 0, `${f} is the owner's only`);
    assert.equal(statSync(path.join(dir, 'turn')).mode & 0o077, 0);
    assert.ok(!JSON.stringify(server.turn).includes(server.turn!.secret), 'no secret in its serialization');
  });

  it("a token's connection carries credentials coturn accepts over UDP and TCP; wrong, borrowed and expired ones are refused (401)", async () => {
    const ice = await iceServers('turn-ok');
    const { username, credential } = ice[0];
    assert.deepEqual(
      ice.map((s) => s.url),
      [`turn:${HOST}:${turnPort}?transport=udp`, `turn:${HOST}:${turnPort}?transport=tcp`],
    );
    const conf = readFileSync(path.join(dir, 'turn', 'turnserver.conf'), 'utf8');
    const [lo, hi] = /min-port=(\d+)\nmax-port=(\d+)/.exec(conf)!.slice(1).map(Number);
    for (const transport of ['udp', 'tcp'] as const) {
      const ok = await (await client(transport)).allocate(username, credential);
      assert.equal(ok.code, 200, `${transport}: ${ok.reason}`);
      assert.equal(ok.relayed?.address, HOST);
      assert.ok(ok.relayed!.port >= lo && ok.relayed!.port <= hi, `relayed port ${ok.relayed!.port} in ${lo}-${hi}`);
    }
    const other = (await iceServers('turn-other'))[0];
    const secret = readFileSync(path.join(dir, 'turn-secret'), 'utf8').trim();
    const expired = `${Math.floor(Date.now() / 1000) - 60}:forged`;
    for (const [what, user, pass] of [
      ['wrong password', username, credential.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))],
      ["another connection's password", other.username, credential],
      ['a later expiry with the same password', `${Number(username.split(':')[0]) + 86_400}:${username.split(':')[1]}`, credential],
      ['expired, though signed with the secret', expired, createHmac('sha1', secret).update(expired).digest('base64')],
    ]) {
      for (const transport of ['udp', 'tcp'] as const) {
        const refused = await (await client(transport)).allocate(user, pass);
        assert.equal(refused.code, 401, `${what} over ${transport}: ${refused.code} ${refused.reason}`);
      }
    }
  });

  it("relays to the media server's address (UDP and TCP clients) and to no other private, loopback or link-local one (403)", async () => {
    const { username, credential } = (await iceServers('turn-peers'))[0];
    const media = dgram.createSocket('udp4');
    await new Promise<void>((r) => media.bind(0, HOST, r));
    try {
      for (const transport of ['udp', 'tcp'] as const) {
        const c = await client(transport);
        const alloc = await c.allocate(username, credential);
        assert.equal(alloc.code, 200, alloc.reason);
        for (const peer of ['10.0.0.1', '127.0.0.2', '127.1.2.3', '169.254.169.254', '172.16.0.1', '192.168.1.1', '100.64.0.1', '0.0.0.1', '224.0.0.1'])
          assert.equal((await c.createPermission(peer)).code, 403, `${transport}: ${peer} denied`);
        assert.equal((await c.createPermission(HOST)).code, 200, `${transport}: the media server's address allowed`);
        // Nor any public address but the media server's (documentation range: a permission sends nothing).
        assert.equal((await c.createPermission('198.51.100.7')).code, 403, `${transport}: another public address refused`);
        // A datagram to the "media server" through the relay, and its answer back.
        const got = new Promise<{ data: Buffer; from: dgram.RemoteInfo }>((r) => media.once('message', (data, from) => r({ data, from })));
        c.sendTo(HOST, media.address().port, Buffer.from(`hello over ${transport}`));
        const { data, from } = await got;
        assert.equal(data.toString(), `hello over ${transport}`);
        assert.deepEqual({ address: from.address, port: from.port }, alloc.relayed, 'sent from the relayed address');
        const back = c.nextData();
        media.send(Buffer.from('answer'), from.port, from.address);
        const answer = await back;
        assert.equal(answer.data.toString(), 'answer');
        assert.deepEqual(answer.from, { address: HOST, port: media.address().port });
      }
    } finally {
      media.close();
    }
  });

  it('a killed coturn starts again, and credentials already given still work', async () => {
    const before = server.turn!.pid!;
    process.kill(before, 'SIGKILL');
    const after = await until(() => server.turn!.restarts === 1 && server.turn!.pid, 'coturn started again', 20_000);
    assert.notEqual(after, before);
    assert.ok(!alive(before));
    const { username, credential } = (await iceServers('turn-restart'))[0];
    assert.equal((await (await client('udp')).allocate(username, credential)).code, 200);
  });

  it('close() leaves no coturn', async () => {
    const pid = server.turn!.pid!;
    await server.close();
    assert.ok(!alive(pid), `coturn ${pid} ended`);
    assert.deepEqual(processesWith(path.join(dir, 'turn', 'turnserver.conf')), []);
  });
});

describe('TURN=embedded: no coturn outlives its server', { skip: SKIP, timeout: 120_000 }, () => {
  const dirs: string[] = [];
  const started: number[] = [];
  after(() => {
    for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const env = async (dir: string) => ({
    PORT: '0',
    HOST,
    DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    TURN: 'embedded',
    TURN_PORT: String(await freePort()),
    TURN_RELAY_PORT_RANGE: relayRange(),
    MEDIA_LISTEN_IP: HOST,
  });

  it('SIGKILL of the server: its coturn is gone within 5 s', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ov-turn-kill-'));
    dirs.push(dir);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'demo-server/src/server.ts')], {
      cwd: root,
      env: { ...process.env, HTTPS: '', OPENVIDU_URL: '', OPENVIDU_SECRET: '', ...(await env(dir)) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child.pid!);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (out += d));
    const banner = await until(() => /OpenVidu: +embedded, process (\d+)[\s\S]*TURN: +embedded coturn, process (\d+)/.exec(out), `the banner:\n${out}`, 60_000);
    const [openviduPid, turnPid] = [Number(banner![1]), Number(banner![2])];
    started.push(openviduPid, turnPid);
    assert.ok(alive(turnPid));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const t0 = Date.now();
    await until(() => !alive(turnPid), `coturn ${turnPid} ended`, 5000);
    console.log(`    coturn gone ${Date.now() - t0} ms after its server was killed`);
  });

  it('a start kills a coturn a killed server left running with this configuration (its pidfile), and takes its port', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ov-turn-leftover-'));
    dirs.push(dir);
    const config = loadConfig(await env(dir));
    // A first run, whose coturn is then detached from any server (as if its server had died without setpriv).
    const first = await startTurnProcess({ config, log: () => undefined });
    const conf = first.configPath;
    const leftover = spawn(findProgram('turnserver')!, ['-c', conf], { stdio: 'ignore', detached: true });
    started.push(leftover.pid!);
    await first.close();
    await until(() => readFileSync(path.join(dir, 'turn', 'turnserver.pid'), 'utf8').trim() === String(leftover.pid), 'the leftover wrote its pidfile');
    const server = await startServer(config, { openvidu: 'in-process' });
    try {
      assert.ok(!alive(leftover.pid!), 'the leftover was killed');
      assert.deepEqual(processesWith(conf), [server.turn!.pid]);
    } finally {
      await server.close();
    }
  });

  it('with TLS_CERT: TURN over TLS on TURN_TLS_PORT accepts the credentials, and the URLs name it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ov-turn-tls-'));
    dirs.push(dir);
    const cert = await loadOrCreateCertificate(dir, ['127.0.0.1']);
    const tlsPort = await freePort();
    const config = loadConfig({
      ...(await env(dir)),
      TLS_CERT: path.join(dir, 'tls', 'cert.pem'),
      TLS_KEY: path.join(dir, 'tls', 'key.pem'),
      TURN_TLS_PORT: String(tlsPort),
    });
    const turn = await startTurnProcess({ config, log: () => undefined });
    started.push(turn.pid!);
    try {
      assert.deepEqual(turn.urls, [
        `turn:${HOST}:${config.turnPort}?transport=udp`,
        `turn:${HOST}:${config.turnPort}?transport=tcp`,
        `turns:${HOST}:${tlsPort}?transport=tcp`,
      ]);
      const [ice] = new TurnCredentials({ urls: turn.urls, secret: turn.secret, seconds: 600 }).forConnection();
      const c = await TurnClient.tls(HOST, tlsPort, cert.cert);
      try {
        const ok = await c.allocate(ice.username, ice.credential);
        assert.equal(ok.code, 200, ok.reason);
        assert.equal((await c.createPermission('10.0.0.1')).code, 403);
      } finally {
        c.close();
      }
      // A renewed certificate is re-read in place: the same coturn serves the new one.
      const pid = turn.pid;
      const renewed = await loadOrCreateCertificate(dir, ['127.0.0.1', 'renewed.test']);
      assert.notEqual(renewed.cert, cert.cert);
      turn.reloadCertificate();
      let served = false;
      for (let i = 0; i < 50 && !served; i++) {
        const c2 = await TurnClient.tls(HOST, tlsPort, renewed.cert).catch(() => undefined);
        c2?.close();
        served = !!c2;
        if (!served) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(served, 'the renewed certificate served within 5 s');
      assert.equal(turn.pid, pid, 'not restarted');
    } finally {
      await turn.close();
    }
  });

  it('without turnserver: a start error naming the package', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ov-turn-none-'));
    dirs.push(dir);
    await assert.rejects(startTurnProcess({ config: loadConfig(await env(dir)), log: () => undefined, command: path.join(dir, 'turnserver') }), {
      code: 'TURN_START',
      message: /apt-get install coturn/,
    });
  });
});
