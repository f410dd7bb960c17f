// The replay buffers' supervisor against a scripted OpenVidu (no server, no browser): the room limit, waiting while
// another recording holds the session, CE's `stopped` then `ready` (polled), a
// room whose session is gone, and OpenVidu not answering.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { FastifyBaseLogger } from 'fastify';
import { ApiError } from '../../demo-server/src/errors.js';
import { ReplayBuffers, type BufferGateway } from '../../demo-server/src/services/replay-buffer.js';
import type { RecordingFacts } from '../../demo-server/src/services/recording-to-clip.js';
import { resolveFfmpegPath, runTool } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
import { until } from '../helpers/until.js';

const quiet = { warn() {}, info() {}, debug() {}, error() {} } as unknown as FastifyBaseLogger;
let dir: string;
let sample: string;

/** OpenVidu as the buffers see it: one recording per session, `stopped` then `ready` once `readyAfter` polls passed. */
class FakeOpenVidu implements BufferGateway {
  publishers = new Map<string, number | undefined>();
  recordings = new Map<string, RecordingFacts & { polls: number }>();
  /** The session's recording held by someone else (a user's clip). */
  busy = new Set<string>();
  readyAfter = Infinity;
  down = false;
  signals: string[] = [];
  private n = 0;
  private check() {
    if (this.down) throw new ApiError(503, 'OV_OPENVIDU_UNAVAILABLE', 'down');
  }
  async publisherCount(s: string) {
    this.check();
    return this.publishers.get(s);
  }
  async startBufferRecording(s: string) {
    this.check();
    const live = [...this.recordings.values()].some((r) => r.sessionId === s && r.status === 'started');
    if (live || this.busy.has(s)) throw new ApiError(409, 'OV_CLIP_ALREADY_RECORDING', 'busy');
    const r = { id: `${s}~${++this.n}`, sessionId: s, status: 'started', createdAt: Date.now(), polls: 0 };
    this.recordings.set(r.id, r);
    return r;
  }
  async stopRecording(id: string) {
    this.check();
    const r = this.recordings.get(id)!;
    r.status = 'stopped';
    return { ...r };
  }
  async getRecording(id: string) {
    this.check();
    const r = this.recordings.get(id);
    if (r && r.status === 'stopped' && ++r.polls >= this.readyAfter) r.status = 'ready';
    return r && { ...r };
  }
  async deleteRecording(id: string) {
    this.recordings.delete(id);
  }
  async downloadRecording(_id: string, toFile: string) {
    await copyFile(sample, toFile);
  }
  async signal(_s: string, _type: string, data: string) {
    this.signals.push(JSON.parse(data).state);
    return true;
  }
}

function buffers(ov: FakeOpenVidu, replayMaxRooms = 10) {
  const children = new Set<ChildProcess>();
  const published: string[] = [];
  const b = new ReplayBuffers({
    config: { replaySeconds: 6, replaySegmentSeconds: 5, replayMaxRooms, dataDir: dir },
    gateway: ov,
    bus: { publish: (_room: string, _type: string, data: { state: string }) => (published.push(data.state), { id: 0, type: 'clip', data }) } as never,
    log: quiet,
    children,
  });
  return { b, published };
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ov-replay-buffer-'));
  sample = path.join(dir, 'sample.mp4');
  const args = ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-t', '2'];
  const r = await runTool(resolveFfmpegPath(process.env.FFMPEG_PATH), [...args, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', sample]);
  assert.equal(r.code, 0, r.stderr);
});
after(() => rm(dir, { recursive: true, force: true }));

describe('replay buffers (scripted OpenVidu)', () => {
  it('at most REPLAY_MAX_ROOMS rooms: the next is refused 503 OV_REPLAY_BUSY until one goes; unknown rooms 409', async () => {
    const ov = new FakeOpenVidu();
    for (const s of ['a', 'b', 'c']) ov.publishers.set(s, 0);
    const { b } = buffers(ov, 2);
    try {
      assert.equal((await b.ensure('a')).state, 'starting');
      assert.equal((await b.ensure('a')).state, 'starting', 'idempotent');
      await assert.rejects(b.ensure('nowhere'), (e: ApiError) => e.statusCode === 409 && e.code === 'OV_SESSION_NOT_LIVE');
      await b.ensure('b');
      await assert.rejects(b.ensure('c'), (e: ApiError) => e.statusCode === 503 && e.code === 'OV_REPLAY_BUSY');
      assert.equal((await b.stop('a')).state, 'off');
      assert.equal((await b.ensure('c')).state, 'starting');
    } finally {
      await b.close();
    }
  });

  it("another recording holds the session: starting until it ends; CE's stopped → ready is waited for", async () => {
    const ov = new FakeOpenVidu();
    ov.publishers.set('r', 1);
    ov.busy.add('r');
    const { b, published } = buffers(ov);
    try {
      assert.equal((await b.ensure('r')).state, 'starting');
      ov.busy.delete('r');
      await until(() => b.state('r').state === 'on', 'on within the next tick', 3000);
      assert.deepEqual(published, ['starting', 'on']);
      assert.deepEqual(ov.signals, ['starting', 'on']);
      const room = b.room('r')!;
      // Stopped, polled until it turns ready (the webhook says so too).
      const rotating = b.locked(room, () => b.rotate(room, true));
      const stopped = await until(() => [...ov.recordings.values()].find((r) => r.status === 'stopped'), 'stopped', 2000);
      await until(() => stopped.polls >= 2, 'polled', 2000);
      stopped.status = 'ready';
      b.recordingChanged(stopped.id, 'ready');
      await rotating;
      assert.equal(room.segments.length, 1);
      assert.ok(Math.abs(room.segments[0].duration - 2) < 0.1);
      assert.ok(!ov.recordings.has(stopped.id), 'deleted from OpenVidu once downloaded');
      await until(() => room.current, 'the next segment started', 2000);
      // Polling alone: ready on the 3rd ask.
      ov.readyAfter = 3;
      await b.locked(room, () => b.rotate(room, false));
      assert.equal(room.segments.length, 2);
      assert.equal((await readdir(path.join(dir, 'replay', 'r'))).filter((f) => f.endsWith('.mp4')).length, 2);
    } finally {
      await b.close();
    }
    assert.deepEqual(await readdir(path.join(dir, 'replay')), []);
    assert.equal(ov.recordings.size, 0, 'closing deletes the buffer recordings');
  });

  it('OpenVidu not answering: the buffer waits; the session gone: the buffer ends (recording deleted, folder removed, off)', async () => {
    const ov = new FakeOpenVidu();
    ov.readyAfter = 1;
    ov.publishers.set('g', 1);
    const { b, published } = buffers(ov);
    try {
      assert.equal((await b.ensure('g')).state, 'on');
      ov.down = true;
      await new Promise((r) => setTimeout(r, 2200)); // one supervisor tick fails
      assert.equal(b.state('g').state, 'on');
      ov.down = false;
      ov.publishers.set('g', undefined);
      await until(() => published.at(-1) === 'off', 'off once the session is found gone', 4000);
      assert.equal(ov.recordings.size, 0);
      assert.deepEqual(await readdir(path.join(dir, 'replay')), []);
      assert.equal(b.room('g'), undefined);
    } finally {
      await b.close();
    }
  });
});
