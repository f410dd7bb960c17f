import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, DEFAULT_RECORDING_PROPERTIES, Session } from '../../demo-server/embedded-openvidu/model.js';
import { RecordingManager, type RecorderRequest, type RecordingHost } from '../../demo-server/embedded-openvidu/recording/manager.js';
import type { RtpSource } from '../../demo-server/embedded-openvidu/media/rtp-source.js';

/* RecordingManager with the recorder factory it is given and a host that is not the OpenVidu core. */

const RECORDING_DIR = fileURLToPath(new URL('../../demo-server/embedded-openvidu/recording/', import.meta.url));

function fakeHost(): RecordingHost & { hooks: Array<Record<string, unknown>>; sessions: Map<string, Session> } {
  const noop = () => {};
  const hooks: Array<Record<string, unknown>> = [];
  return {
    hooks,
    log: { debug: noop, info: noop, warn: noop, error: noop } as unknown as RecordingHost['log'],
    sessions: new Map(),
    recordingHook: (_session, extra) => hooks.push(extra),
    closeSession: async () => {},
  };
}

function sessionWithOneParticipant(): Session {
  const session = new Session('ses_Factory', Date.now(), {
    mediaMode: 'ROUTED',
    recordingMode: 'MANUAL',
    customSessionId: 'ses_Factory',
    forcedVideoCodec: 'VP8',
    allowTranscoding: false,
    defaultRecordingProperties: { ...DEFAULT_RECORDING_PROPERTIES },
  });
  const c = new Connection('con_A', session.id, 'tok_A', Date.now(), 'PUBLISHER', true, '', null, []);
  c.status = 'active';
  session.connections.set(c.id, c);
  return session;
}

test('RecordingManager: the recorder comes from the factory it is given, and its file makes the recording ready', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'recording-manager-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const host = fakeHost();
  const requests: RecorderRequest[] = [];
  const calls: string[] = [];
  const manager = new RecordingManager(host, {
    path: dir,
    publicUrl: 'https://127.0.0.1:4443',
    ffmpegPath: '/nonexistent/ffmpeg',
    notification: 'none',
    autostopTimeoutSec: 3600,
    host: '127.0.0.1',
    recorderFactory: async (request) => {
      requests.push(request);
      return {
        async start(sources: RtpSource[]) {
          calls.push(`start ${sources.length}`);
        },
        addSource: () => calls.push('add'),
        removeSource: () => calls.push('remove'),
        async stop() {
          calls.push('stop');
          const file = path.join(request.dir, `${request.record.name}.mp4`);
          await writeFile(file, 'not really an mp4');
          return { file, size: 17, duration: 2.345, hasAudio: true, hasVideo: true };
        },
      };
    },
  });
  const session = sessionWithOneParticipant();
  host.sessions.set(session.id, session);

  const rec = await manager.start(session, { ...DEFAULT_RECORDING_PROPERTIES, name: 'clip' });
  assert.equal(rec.status, 'started');
  assert.equal(requests.length, 1);
  assert.equal(requests[0].record.id, rec.id);
  assert.equal(requests[0].dir, path.join(dir, rec.id));
  assert.equal(requests[0].session, session);
  assert.equal(requests[0].ffmpegPath, '/nonexistent/ffmpeg');
  assert.deepEqual(calls, ['start 0']);

  await manager.stop(rec.id);
  await manager.whenFinished(rec.id);
  const done = manager.get(rec.id)!;
  assert.equal(done.status, 'ready');
  assert.equal(done.file, 'clip.mp4');
  assert.equal(done.duration, 2.35);
  assert.deepEqual(calls, ['start 0', 'stop']);
  assert.deepEqual(
    host.hooks.map((h) => h.status),
    ['started', 'stopped', 'ready'],
  );
  clearTimeout(session.autostopTimer);
});

test('RecordingManager: a factory set on a running manager makes the next recorder', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'recording-manager-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const opts = { path: dir, publicUrl: 'https://x', ffmpegPath: '/nonexistent/ffmpeg', notification: 'none' as const, autostopTimeoutSec: 3600 };
  const manager = new RecordingManager(fakeHost(), { ...opts, host: '127.0.0.1' });
  const session = sessionWithOneParticipant();
  // The default factory cannot run ffmpeg here: the start fails.
  await assert.rejects(manager.start(session, { ...DEFAULT_RECORDING_PROPERTIES }), /could not start/);
  let made = 0;
  manager.recorderFactory = async () => {
    made++;
    return { start: async () => {}, addSource() {}, removeSource() {}, stop: async () => Promise.reject(new Error('unused')) };
  };
  const rec = await manager.start(session, { ...DEFAULT_RECORDING_PROPERTIES });
  assert.equal(rec.status, 'started');
  assert.equal(made, 1);
  clearTimeout(session.autostopTimer);
});

test('the recording folder does not import core.ts (no core.ts ↔ recording/manager.ts cycle)', () => {
  const offenders = readdirSync(RECORDING_DIR)
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => /from '\.\.\/core\.js'|import\('\.\.\/core\.js'\)/.test(readFileSync(path.join(RECORDING_DIR, f), 'utf8')));
  assert.ok(existsSync(path.join(RECORDING_DIR, 'manager.ts')));
  assert.deepEqual(offenders, []);
});
