/**
 * CE-strict mode (`ceStrict`, OPENVIDU_CE_STRICT): the same requests against the embedded server in both modes,
 * with openvidu-node-client and plain HTTP on 127.0.0.1. Strict refuses what OpenVidu CE 2.32 refuses and offers
 * none of the embedded server's additions; normal mode keeps them. Chromium only publishes where a recording or an
 * unpublish needs real media.
 *
 * Run: npm test -- test/embedded-openvidu/ce-strict.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Recording } from 'openvidu-node-client';
import { isEmbedded } from '../helpers/openvidu-target.js';
import { startOvBrowser, type OvBrowser } from '../helpers/ov-browser.js';
import { useStubRecorder } from '../helpers/stub-recorder.js';
import { sleep } from '../helpers/until.js';
import { interruptedRecording, startMode, type Mode } from './ce-fixtures.js';

const SKIP = !isEmbedded() && 'CE-strict mode is the embedded server’s (OPENVIDU_URL is set)';
const FAKE = Buffer.alloc(2048, 1);

describe('CE-strict mode', { skip: SKIP }, () => {
  const modes: Mode[] = [];
  const folders: string[] = [];
  let browser: OvBrowser;
  const each = async (fn: (m: Mode) => Promise<void>) => {
    for (const m of modes) await fn(m);
  };

  before(async () => {
    for (const name of ['strict', 'normal'] as const) {
      const recordingPath = await mkdtemp(path.join(os.tmpdir(), `ov-ce-${name}-`));
      folders.push(recordingPath);
      await interruptedRecording(recordingPath, 'crashed');
      modes.push(await startMode(name, { recordingPath, recordingAutostopTimeout: 1 }));
    }
    browser = await startOvBrowser();
  });

  after(async () => {
    await browser?.close();
    for (const m of modes) await m.close();
    for (const f of folders) await rm(f, { recursive: true, force: true });
  });

  test('a second recording in a session → 409 in both modes (strict: with no body, as CE)', async (t) => {
    await each(async (m) => {
      t.after(useStubRecorder(m.target.embedded!, FAKE));
      const { session } = await m.sessionWith(1);
      const first = await m.ov.startRecording(session.sessionId);
      await assert.rejects(m.ov.startRecording(session.sessionId), /^Error: 409$/, `${m.name}: node-client`);
      const again = await m.call('POST', '/recordings/start', { session: session.sessionId });
      assert.equal(again.status, 409, m.name);
      if (m.name === 'strict') assert.equal(again.text, '', 'CE answers 409 without a body');
      else assert.equal(again.json.status, 409, 'normal mode: the error JSON');
      await m.ov.stopRecording(first.id);
    });
  });

  test('strict, real recorder: the stop answers `stopped`; `ready` follows (webhook stopped → ready, then GET)', async () => {
    const m = modes[0];
    const session = await m.ov.createSession({ customSessionId: 'ce-real' });
    const p = await browser.participant();
    await p.join((await session.createConnection()).token, 'cam');
    await p.publish({ resolution: '320x240', frameRate: 15 });
    const rec = await m.ov.startRecording(session.sessionId, { resolution: '320x240', frameRate: 15 });
    await sleep(1500); // a second and a half of media
    const stopped = await m.ov.stopRecording(rec.id);
    assert.equal(stopped.status, Recording.Status.stopped);
    assert.equal(stopped.url, null, 'no url before ready');
    await m.hook(session.sessionId, (e) => e.status === 'ready', 'recording ready');
    assert.deepEqual(
      m.trail(session.sessionId).filter((e) => e.startsWith('recordingStatusChanged')),
      ['recordingStatusChanged:started:', 'recordingStatusChanged:stopped:recordingStoppedByServer', 'recordingStatusChanged:ready:recordingStoppedByServer'],
    );
    const ready = await m.ov.getRecording(rec.id);
    assert.equal(ready.status, Recording.Status.ready);
    assert.ok(ready.size > 0 && ready.duration > 1, `size ${ready.size}, duration ${ready.duration}`);
    await p.close();
  });

  test('the last publisher unpublishing: strict keeps recording (CE counts down only when the last participant leaves); normal stops after the timeout', async (t) => {
    await each(async (m) => {
      t.after(useStubRecorder(m.target.embedded!, FAKE));
      const { session } = await m.sessionWith(1); // stays in the session, publishing nothing
      const p = await browser.participant();
      await p.join((await session.createConnection()).token, 'cam');
      const streamId = await p.publish({ resolution: '320x240', frameRate: 15 });
      const rec = await m.ov.startRecording(session.sessionId);
      assert.equal((await m.call('DELETE', `/sessions/${session.sessionId}/stream/${streamId}`)).status, 204);
      if (m.name === 'normal') {
        const e = await m.hook(session.sessionId, (x) => x.status === 'stopped', 'autostop after the unpublish', 5000);
        assert.equal(e.reason, 'automaticStop');
      } else {
        // The unpublish is done when DELETE answers: no countdown was started by it.
        assert.equal(m.target.embedded!.core.sessions.get(session.sessionId)!.autostopTimer, undefined, 'no autostop countdown');
        assert.equal((await m.ov.getRecording(rec.id)).status, Recording.Status.started);
        await m.ov.stopRecording(rec.id);
      }
      await p.close();
    });
  });

  test('recording start: strict checks the session before the properties (404, 409 before 422), as CE', async (t) => {
    await each(async (m) => {
      t.after(useStubRecorder(m.target.embedded!, FAKE));
      const unknown = await m.call('POST', '/recordings/start', { session: 'ce-nope', resolution: '1x1' });
      assert.equal(unknown.status, m.name === 'strict' ? 404 : 422, `${m.name}: unknown session + bad resolution`);
      const { session } = await m.sessionWith(1);
      const rec = await m.ov.startRecording(session.sessionId);
      const busy = await m.call('POST', '/recordings/start', { session: session.sessionId, frameRate: 500 });
      assert.equal(busy.status, m.name === 'strict' ? 409 : 422, `${m.name}: session being recorded + bad frameRate`);
      await m.ov.stopRecording(rec.id);
    });
  });

  test('COMPOSED_QUICK_START asked of a session whose default is COMPOSED: strict gives COMPOSED (CE’s fromJson), normal what was asked', async (t) => {
    await each(async (m) => {
      t.after(useStubRecorder(m.target.embedded!, FAKE));
      const { session } = await m.sessionWith(1);
      const rec = await m.ov.startRecording(session.sessionId, { outputMode: Recording.OutputMode.COMPOSED_QUICK_START });
      assert.equal(rec.properties.outputMode, m.name === 'strict' ? 'COMPOSED' : 'COMPOSED_QUICK_START', m.name);
      await m.ov.stopRecording(rec.id);
    });
  });

  test('a session with invalid recording defaults: strict 400 (CE), normal 422', async () => {
    await each(async (m) => {
      const r = await m.call('POST', '/sessions', { defaultRecordingProperties: { resolution: '1x1' } });
      assert.equal(r.status, m.name === 'strict' ? 400 : 422, m.name);
    });
  });

  test('broadcast routes: absent in strict (404, as CE 2.32 has none), Pro’s 501 in normal mode', async () => {
    await each(async (m) => {
      const r = await m.call('POST', '/broadcast/start', { session: 'x', broadcastUrl: 'rtmp://127.0.0.1/x' });
      assert.equal(r.status, m.name === 'strict' ? 404 : 501, m.name);
    });
  });

  test('bare statuses: strict answers CE’s empty 404s; normal mode sends the error JSON', async () => {
    await each(async (m) => {
      for (const p of ['/sessions/ce-nope', '/recordings/ce-nope']) {
        const r = await m.call('GET', p);
        assert.equal(r.status, 404, `${m.name} ${p}`);
        assert.equal(r.text === '', m.name === 'strict', `${m.name} ${p}: body ${r.text}`);
      }
    });
  });

  test('unused tokens of a live session: strict keeps them (CE), normal revokes those past the garbage threshold', async () => {
    await each(async (m) => {
      const { session } = await m.sessionWith(1);
      const spare = await session.createConnection();
      const collected = m.target.embedded!.core.collectGarbage(Date.now() + 3601_000); // an hour on
      const r = await m.call('GET', `/sessions/${session.sessionId}/connection/${spare.connectionId}`);
      if (m.name === 'strict') {
        assert.equal(collected.tokens, 0);
        assert.equal(r.status, 200);
        assert.equal(r.json.status, 'pending');
      } else {
        assert.ok(collected.tokens >= 1);
        assert.equal(r.status, 404);
      }
    });
  });

  test('a recording a crash interrupted: normal rebuilds it (ready, recovered: true); strict lists it failed, no extra field', async () => {
    await each(async (m) => {
      const hook = await m.hook('crashed', (e) => e.status === 'ready' || e.status === 'failed', 'the recovery outcome', 15_000);
      const r = await m.call('GET', '/recordings/crashed');
      if (m.name === 'strict') {
        assert.equal(r.json.status, 'failed');
        assert.ok(!('recovered' in r.json) && !('recovered' in hook), 'no recovered field');
      } else {
        assert.equal(r.json.status, 'ready');
        assert.equal(r.json.recovered, true);
        assert.equal(hook.recovered, true);
      }
    });
  });
});
