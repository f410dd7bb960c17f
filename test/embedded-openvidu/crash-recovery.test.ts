// A crash loses no clip: the server (`npm start`'s process: the reference server, which runs the embedded OpenVidu
// as a child process) is killed with SIGKILL while a clip records. None of its ffmpeg processes may outlive it, and at
// the next start on the same data folder the clip is `ready`, flagged `recovered`, playable and as long as it ran. The
// same for a SIGKILL of the OpenVidu process alone. Then the sweep at start: a stray ffmpeg of a previous run is
// killed, processes that only look like one are not.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium, newContext } from '../helpers/browser.js';
import { startPageServer } from '../helpers/static-server.js';
import { Participant } from '../helpers/participant.js';
import { root } from '../helpers/demo-page.js';
import { probe, resolveFfmpegPath } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
import { PID_FILE } from '../../demo-server/embedded-openvidu/recording/processes.js';
import { startEmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';
import { sleep } from '../helpers/until.js';
import { alive } from '../helpers/processes.js';

interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** The server as `npm start` runs it, with no npm or tsx wrapper in between (SIGKILL must hit it). */
async function startServerProcess(dataDir: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'demo-server/src/server.ts')], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', HTTPS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (out += c));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never left behind: a stuck server would keep this file (and the suite) from ending
      reject(new Error(`the server printed no URL within 60 s:\n${out}`));
    }, 60_000);
    const onData = () => {
      const m = /ov-live-elements demo: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}):\n${out}`));
    });
  });
  return { child, url, output: () => out };
}

/** A participant named Ana joins `room` and publishes, then a clip starts: the clip as answered, and the participant. */
async function publishAndClip(api: string, room: string, context: BrowserContext, pageUrl: string) {
  const tokenRes = await fetch(`${api}/sessions/${room}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Ana' }),
  });
  assert.equal(tokenRes.status, 201);
  const { token } = (await tokenRes.json()) as { token: string };
  const p = await Participant.open(context, pageUrl);
  await p.join(token);
  await p.publish();
  const startRes = await fetch(`${api}/sessions/${room}/clips`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const clip = (await startRes.json()) as { id: string; status: string };
  assert.equal(startRes.status, 201, JSON.stringify(clip));
  return { clip, p };
}

/** Live processes whose command line mentions `needle` and whose program is an ffmpeg: pid → command line. */
function ffmpegsMentioning(needle: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue; // gone meanwhile
    }
    if (argv.length && /ffmpeg/i.test(path.basename(argv[0])) && argv.some((a) => a.includes(needle))) found.set(Number(entry), argv.join(' '));
  }
  return found;
}

describe('a crash loses no clip', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ov-crash-'));
  const ROOM = `crash-${process.pid}`;
  let browser: Browser;
  let context: BrowserContext;
  let pages: Awaited<ReturnType<typeof startPageServer>>;
  let server: ServerProcess | undefined;
  let clipId = '';
  /** Seconds the clip recorded before the kill. */
  let ran = 0;

  before(async () => {
    pages = await startPageServer();
    browser = await launchChromium();
    context = await newContext(browser);
  });

  after(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    for (const pid of ffmpegsMentioning(dataDir).keys()) process.kill(pid, 'SIGKILL');
    await browser?.close();
    await pages?.close();
    if (process.env.KEEP_RECORDINGS) console.log(`recordings kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  });

  it('SIGKILL of the server while a clip records: none of its ffmpeg processes outlives it by 5 s', { timeout: 120_000 }, async () => {
    server = await startServerProcess(dataDir);
    const { clip, p } = await publishAndClip(server.url + '/api', ROOM, context, pages.url);
    const startedAt = Date.now();
    clipId = clip.id;
    assert.equal(clip.status, 'recording');
    await sleep(4000);
    const encoders = ffmpegsMentioning(dataDir);
    assert.ok(encoders.size > 0, 'the clip is being encoded by ffmpeg');

    const exited = new Promise((r) => server!.child.once('exit', r));
    server.child.kill('SIGKILL');
    ran = (Date.now() - startedAt) / 1000;
    await exited;
    await p.close();
    const deadline = Date.now() + 5000;
    let left = ffmpegsMentioning(dataDir);
    while (left.size > 0 && Date.now() < deadline) {
      await sleep(50);
      left = ffmpegsMentioning(dataDir);
    }
    assert.deepEqual([...left.values()], [], 'no ffmpeg of the killed server is still running 5 s after it died');
    console.log(`    ${encoders.size} ffmpeg gone ${Date.now() - deadline + 5000} ms after the kill`);
  });

  it('restarted on the same data folder, the server recovers the clip: ready, recovered, playable, as long as it ran', { timeout: 120_000 }, async () => {
    assert.ok(clipId, 'the clip of the previous test');
    for (const pid of ffmpegsMentioning(dataDir).keys()) process.kill(pid, 'SIGKILL'); // what the previous test may have left
    server = await startServerProcess(dataDir);
    const restartedAt = Date.now();
    const api = server.url + '/api';
    let clips: Array<{ id: string; status: string; recovered?: boolean; duration: number }> = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await fetch(`${api}/sessions/${ROOM}/clips`);
      assert.equal(res.status, 200);
      clips = ((await res.json()) as { clips: typeof clips }).clips;
      if (clips.length !== 1 || clips[0].status === 'ready' || clips[0].status === 'failed' || Date.now() > deadline) break;
      await sleep(100);
    }
    assert.equal(clips.length, 1, JSON.stringify(clips));
    const clip = clips[0];
    assert.equal(clip.id, clipId);
    assert.equal(clip.status, 'ready', `status ${clip.status}\n${server.output()}`);
    assert.equal(clip.recovered, true, 'flagged as recovered');
    const single = (await (await fetch(`${api}/clips/${encodeURIComponent(clipId)}`)).json()) as { recovered?: boolean; status: string };
    assert.equal(single.recovered, true, 'GET /api/clips/:id says recovered too');

    const media = await fetch(`${api}/clips/${encodeURIComponent(clipId)}/media`);
    assert.equal(media.status, 200);
    assert.match(media.headers.get('content-type') ?? '', /video\/mp4/);
    const file = path.join(dataDir, 'downloaded.mp4');
    writeFileSync(file, Buffer.from(await media.arrayBuffer()));
    const info = await probe(file);
    assert.ok(
      info.streams.some((s) => s.codec_type === 'video' && s.codec_name === 'h264'),
      JSON.stringify(info.streams),
    );
    assert.ok(
      info.streams.some((s) => s.codec_type === 'audio'),
      'it has sound',
    );
    assert.ok(Math.abs(info.duration - ran) <= 2, `duration ${info.duration} s vs ${ran.toFixed(2)} s recorded before the kill`);
    console.log(`    recovered ${info.duration} s of the ${ran.toFixed(2)} s recorded, ready ${Date.now() - restartedAt} ms after the restart`);
    assert.ok(Math.abs(clip.duration - info.duration) < 0.5, `the clip says ${clip.duration} s, the file ${info.duration} s`);

    const thumb = await fetch(`${api}/clips/${encodeURIComponent(clipId)}/thumbnail`);
    assert.equal(thumb.status, 200, 'a thumbnail');
    assert.equal(
      Buffer.from(await thumb.arrayBuffer())
        .subarray(0, 3)
        .toString('hex'),
      'ffd8ff',
    );

    const exited = new Promise((r) => server!.child.once('exit', r));
    server.child.kill('SIGINT');
    await exited;
  });
});

// With `npm start` the encoders are children of the embedded OpenVidu's own process. A SIGKILL of the server above
// lets that process exit by itself (clean-up on exit); a SIGKILL of the OpenVidu process leaves only the watchdog.
describe('a crash of the OpenVidu process alone', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ov-crash-child-'));
  const ROOM = `crash-child-${process.pid}`;
  let browser: Browser;
  let context: BrowserContext;
  let pages: Awaited<ReturnType<typeof startPageServer>>;
  let server: ServerProcess | undefined;

  before(async () => {
    pages = await startPageServer();
    browser = await launchChromium();
    context = await newContext(browser);
  });

  after(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    for (const pid of ffmpegsMentioning(dataDir).keys()) process.kill(pid, 'SIGKILL');
    await browser?.close();
    await pages?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'SIGKILL of the OpenVidu process while a clip records: its ffmpeg processes are gone within 5 s; started again, it recovers the clip',
    { timeout: 120_000 },
    async () => {
      server = await startServerProcess(dataDir);
      const ovPid = Number(/OpenVidu: +embedded, process (\d+)/.exec(server.output())?.[1]);
      assert.ok(ovPid > 0 && alive(ovPid), `the OpenVidu process runs:\n${server.output()}`);
      const api = server.url + '/api';
      const { clip, p } = await publishAndClip(api, ROOM, context, pages.url);
      const encoders = new Map<number, string>();
      for (let i = 0; i < 100 && encoders.size === 0; i++) {
        await sleep(50);
        for (const [pid, cmd] of ffmpegsMentioning(dataDir)) encoders.set(pid, cmd);
      }
      assert.ok(encoders.size > 0, 'the clip is being encoded by ffmpeg');
      await sleep(2000);

      process.kill(ovPid, 'SIGKILL');
      const deadline = Date.now() + 5000;
      const survivors = () => [...encoders.keys()].filter(alive);
      while (survivors().length > 0 && Date.now() < deadline) await sleep(50);
      assert.deepEqual(survivors(), [], 'no ffmpeg of the killed OpenVidu process is still running 5 s after it died');
      await p.close();

      // The server starts its OpenVidu process again, which recovers the clip from what was encoded.
      let got = { status: '', recovered: undefined as boolean | undefined };
      for (let i = 0; i < 600 && got.status !== 'ready' && got.status !== 'failed'; i++) {
        const res = await fetch(`${api}/clips/${encodeURIComponent(clip.id)}`);
        if (res.status === 200) got = (await res.json()) as typeof got;
        else await res.arrayBuffer();
        await sleep(100);
      }
      assert.equal(got.status, 'ready', `${JSON.stringify(got)}\n${server.output()}`);
      assert.equal(got.recovered, true, 'rebuilt by the crash recovery of the restarted OpenVidu process');
      const exited = new Promise((r) => server!.child.once('exit', r));
      server.child.kill('SIGINT');
      await exited;
    },
  );
});

describe('recordings found in progress at start, without a crash-safe copy', () => {
  const recordings = mkdtempSync(path.join(os.tmpdir(), 'ov-interrupted-'));
  after(() => rmSync(recordings, { recursive: true, force: true }));

  const meta = (id: string, status: string) => ({
    id,
    name: id,
    sessionId: id,
    uniqueSessionId: `${id}_1`,
    createdAt: Date.now(),
    status,
    properties: { name: id, outputMode: 'COMPOSED', hasAudio: true, hasVideo: true, recordingLayout: 'BEST_FIT', resolution: '320x240', frameRate: 10 },
    size: 0,
    duration: 0,
  });

  it('a file finished before the server died is ready (not flagged recovered); one with nothing recorded is failed', { timeout: 60_000 }, async () => {
    // `done`: the server died after the file was joined and the parts removed, before it could say `ready`.
    await mkdir(path.join(recordings, 'done'));
    writeFileSync(path.join(recordings, 'done', '.recording.done'), JSON.stringify(meta('done', 'stopped')));
    const { runTool } = await import('../../demo-server/embedded-openvidu/recording/ffmpeg.js');
    const made = await runTool(resolveFfmpegPath(), [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=black:s=320x240:r=10',
      '-t',
      '2',
      '-c:v',
      'libx264',
      '-y',
      path.join(recordings, 'done', 'done.mp4'),
    ]);
    assert.equal(made.code, 0, made.stderr);
    // `empty`: the server died while its first segment was starting.
    await mkdir(path.join(recordings, 'empty', '.empty.parts'), { recursive: true });
    writeFileSync(path.join(recordings, 'empty', '.recording.empty'), JSON.stringify(meta('empty', 'started')));

    const ov = await startEmbeddedOpenVidu({
      port: 0,
      secret: 'TEST_SECRET',
      recordingPath: recordings,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    try {
      const auth = { Authorization: 'Basic ' + Buffer.from('OPENVIDUAPP:TEST_SECRET').toString('base64') };
      const get = async (id: string) => (await (await fetch(`${ov.url}/openvidu/api/recordings/${id}`, { headers: auth })).json()) as Record<string, unknown>;
      const deadline = Date.now() + 20_000;
      let done: Record<string, unknown>;
      let empty: Record<string, unknown>;
      do {
        await sleep(50);
        [done, empty] = await Promise.all([get('done'), get('empty')]);
      } while ((done.status === 'stopped' || empty.status === 'stopped') && Date.now() < deadline);
      assert.equal(done.status, 'ready');
      assert.equal(done.recovered, undefined);
      assert.equal(done.url, `${ov.url}/openvidu/recordings/done/done.mp4`);
      assert.ok(Math.abs((done.duration as number) - 2) < 0.2, `duration ${done.duration}`);
      assert.equal(empty.status, 'failed');
      assert.equal(empty.recovered, undefined);
      // Stopping a recording that is no longer in progress: 404, as OpenVidu 2.32.
      assert.equal((await fetch(`${ov.url}/openvidu/api/recordings/stop/done`, { method: 'POST', headers: auth })).status, 404);
    } finally {
      await ov.close();
    }
  });
});

describe('the sweep at start', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'ov-sweep-'));
  const recordings = path.join(base, 'recordings');
  const elsewhere = path.join(base, 'elsewhere');
  const children: ChildProcess[] = [];

  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  });

  const run = (bin: string, args: string[], argv0?: string) => {
    const c = spawn(bin, args, { stdio: 'ignore', ...(argv0 ? { argv0 } : {}) });
    children.push(c);
    return c;
  };

  it('kills a stray ffmpeg of a previous run writing under the recording folder, and nothing else', { timeout: 60_000 }, async () => {
    await mkdir(path.join(recordings, 'room~1', '.room~1.parts'), { recursive: true });
    await mkdir(elsewhere, { recursive: true });
    const ffmpeg = resolveFfmpegPath();
    const encode = (out: string) => [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=8000',
      '-t',
      '120',
      '-f',
      'matroska',
      '-y',
      out,
    ];
    // Ours: a segment encoder left running by a server that died.
    const stray = run(ffmpeg, encode(path.join(recordings, 'room~1', '.room~1.parts', 'segment-0.mkv')));
    // Not ours: an ffmpeg writing somewhere else (its pid may have been ours once), a program merely named ffmpeg,
    // and a process that reads a file of ours but is no ffmpeg.
    const other = run(ffmpeg, encode(path.join(elsewhere, 'other.mkv')));
    const fakeBin = path.join(elsewhere, 'ffmpeg');
    symlinkSync('/bin/sleep', fakeBin);
    const lookalike = run(fakeBin, ['300']);
    writeFileSync(path.join(recordings, 'notes.txt'), '');
    const reader = run('tail', ['-f', path.join(recordings, 'notes.txt')]);
    const all = [stray, other, lookalike, reader];
    await sleep(300); // exec'd: their /proc entries show the new programs
    for (const c of all) assert.ok(alive(c.pid!), 'started');
    assert.match(readlinkSync(`/proc/${lookalike.pid}/exe`), /sleep/);
    writeFileSync(path.join(recordings, PID_FILE), all.map((c) => `${c.pid}\n`).join(''));

    const strayExit = new Promise((r) => {
      stray.once('exit', (_code, signal) => r(signal));
      setTimeout(() => r('still running 5 s after the server started'), 5000).unref();
    });
    const ov = await startEmbeddedOpenVidu({
      port: 0,
      secret: 'TEST_SECRET',
      recordingPath: recordings,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    try {
      assert.equal(await strayExit, 'SIGKILL', 'the stray encoder was killed at start');
      for (const c of [other, lookalike, reader])
        assert.ok(c.exitCode === null && c.signalCode === null && alive(c.pid!), `pid ${c.pid} (${c.spawnfile}) left alone`);
      assert.ok(
        !existsSync(path.join(recordings, PID_FILE)) || !readFileSync(path.join(recordings, PID_FILE), 'utf8').includes(String(stray.pid)),
        'the pid file forgets it',
      );
    } finally {
      await ov.close();
    }
  });
});
