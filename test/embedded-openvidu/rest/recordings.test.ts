/**
 * Recordings over REST: start validation, RELAYED sessions, and the recording files route.
 *
 * Run: npm test -- test/embedded-openvidu/rest/recordings.test.ts
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useStubRecorder } from '../../helpers/stub-recorder.js';
import { isEmbedded } from '../../helpers/openvidu-target.js';
import {
  useRestTarget,
  target,
  uid,
  raw,
  api,
  assertJsonError,
  createSession,
  createConnection,
  participant,
  activeSession,
  FAKE_FILE,
  waitRecordingStatus,
} from '../../helpers/ov-rest.js';

useRestTarget();

describe('Recordings over REST', () => {
  test('POST /recordings/start validation: 400 shapes, 422 values; nothing starts', async () => {
    const { s } = await activeSession(1);
    const cases: Array<[string, unknown, number]> = [
      ['empty body', '', 400],
      ['empty object', {}, 400],
      ['missing session', { name: 'x' }, 400],
      ['session not a string', { session: 5 }, 400],
      ['bad outputMode', { session: s.id, outputMode: 'SIDE_BY_SIDE' }, 400],
      ['outputMode not a string', { session: s.id, outputMode: 1 }, 400],
      ['bad recordingLayout', { session: s.id, recordingLayout: 'GRID' }, 400],
      ['bad name (space)', { session: s.id, name: 'bad name' }, 400],
      ['bad name (slash)', { session: s.id, name: '../x' }, 400],
      ['bad name (unicode)', { session: s.id, name: 'héllo' }, 400],
      ['frameRate as a string', { session: s.id, frameRate: '25' }, 400],
      ['frameRate not an integer', { session: s.id, frameRate: 2.5 }, 400],
      ['hasAudio as a string', { session: s.id, hasAudio: 'true' }, 400],
      ['resolution as a number', { session: s.id, resolution: 1280 }, 400],
      ['resolution 99x100', { session: s.id, resolution: '99x100' }, 422],
      ['resolution 0640x480', { session: s.id, resolution: '0640x480' }, 422],
      ['resolution 2000x1000', { session: s.id, resolution: '2000x1000' }, 422],
      ['resolution 640x480x2', { session: s.id, resolution: '640x480x2' }, 422],
      ['resolution 640*480', { session: s.id, resolution: '640*480' }, 422],
      ['frameRate 0', { session: s.id, frameRate: 0 }, 422],
      ['frameRate 121', { session: s.id, frameRate: 121 }, 422],
      ['frameRate -5', { session: s.id, frameRate: -5 }, 422],
      ['shmSize too small', { session: s.id, shmSize: 1000 }, 422],
      ['no audio and no video', { session: s.id, hasAudio: false, hasVideo: false }, 422],
    ];
    for (const [what, body, status] of cases) assertJsonError(await api('POST', '/recordings/start', body), status, what);
    assertJsonError(await api('POST', '/recordings/start', { session: `nope-${uid()}` }), 404, 'unknown session');
    const after = await api('GET', `/sessions/${s.id}`);
    assert.equal(after.json.recording, false, 'no validation failure started a recording');
    assert.ok(!(await api('GET', '/recordings')).json.items.some((r: any) => r.sessionId === s.id), 'no recording listed for the session');
  });

  test('RELAYED session → 409 on recording start', async () => {
    const s = await createSession({ mediaMode: 'RELAYED' });
    assert.equal(s.mediaMode, 'RELAYED');
    await participant((await createConnection(s.id)).token);
    assertJsonError(await api('POST', '/recordings/start', { session: s.id }), 409, 'recording a RELAYED session');
  });

  test(
    'recordingStarted/Stopped go to PUBLISHER and MODERATOR only; late joiners get recordingId/recordingName in joinRoom',
    { skip: !isEmbedded() && 'needs the embedded server (stub recorder)' },
    async (t) => {
      const restore = useStubRecorder(target.embedded!, FAKE_FILE, 1.25);
      t.after(restore);
      const s = await createSession();
      const pub = await participant((await createConnection(s.id, { role: 'PUBLISHER' })).token);
      const mod = await participant((await createConnection(s.id, { role: 'MODERATOR' })).token);
      const sub = await participant((await createConnection(s.id, { role: 'SUBSCRIBER' })).token);
      const start = await api('POST', '/recordings/start', { session: s.id, name: 'notified', resolution: '320x240', frameRate: 10 });
      assert.equal(start.status, 200, start.text);
      const rec = start.json;
      for (const p of [pub, mod]) assert.deepEqual(await p.rpc.waitFor('recordingStarted', () => true, 5000), { id: rec.id, name: 'notified' });
      assert.equal((await api('GET', `/sessions/${s.id}`)).json.recording, true, 'Session JSON: recording true');

      const latePub = await participant((await createConnection(s.id, { role: 'PUBLISHER' })).token);
      assert.equal(latePub.result.recordingId, rec.id, 'late PUBLISHER: joinRoom.recordingId');
      assert.equal(latePub.result.recordingName, 'notified');
      const lateSub = await participant((await createConnection(s.id, { role: 'SUBSCRIBER' })).token);
      assert.ok(!('recordingId' in lateSub.result) && !('recordingName' in lateSub.result), 'late SUBSCRIBER: no recording fields');

      assert.equal((await api('POST', `/recordings/stop/${rec.id}`)).json.status, 'stopped');
      for (const p of [pub, mod, latePub]) {
        assert.deepEqual(await p.rpc.waitFor('recordingStopped', () => true, 5000), { id: rec.id, name: 'notified', reason: 'recordingStoppedByServer' });
      }
      assert.equal((await api('GET', `/sessions/${s.id}`)).json.recording, false, 'Session JSON: recording false after stop');
      await waitRecordingStatus(rec.id, 'ready');
      // A broadcast signal after everything: the SUBSCRIBERs have it, and never got a recording notification.
      await api('POST', '/signal', { session: s.id, data: 'fence' });
      for (const p of [sub, lateSub]) {
        await p.rpc.waitFor('sendMessage', (x) => x.data === 'fence', 5000);
        assert.ok(!p.rpc.notifications.some((n) => n.method.startsWith('recording')), 'SUBSCRIBER got no recording notification');
      }
    },
  );

  describe('recording files /openvidu/recordings/<id>/<file>', { skip: !isEmbedded() && 'needs the embedded server (fake recorder)' }, () => {
    let rec: any;
    let fileUrl: string;
    let filePath: string;
    before(async () => {
      const restore = useStubRecorder(target.embedded!, FAKE_FILE, 1.25);
      try {
        const { s } = await activeSession(1);
        const r = await api('POST', '/recordings/start', { session: s.id, name: 'clip_1', resolution: '320x240', frameRate: 10 });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.status, 'started');
        assert.equal(r.json.url, null);
        const stop = await api('POST', `/recordings/stop/${r.json.id}`);
        assert.equal(stop.status, 200, stop.text);
        assert.equal(stop.json.status, 'stopped');
        rec = await waitRecordingStatus(r.json.id, 'ready');
      } finally {
        restore();
      }
      fileUrl = rec.url;
      filePath = new URL(fileUrl).pathname;
    });

    test('the ready recording JSON points at the file', () => {
      assert.equal(rec.object, 'recording');
      assert.equal(rec.name, 'clip_1');
      assert.equal(rec.size, FAKE_FILE.length);
      assert.equal(rec.duration, 1.25);
      assert.equal(rec.resolution, '320x240');
      assert.equal(rec.frameRate, 10);
      assert.equal(rec.recordingLayout, 'BEST_FIT');
      assert.equal(fileUrl, `${target.url}/openvidu/recordings/${rec.id}/clip_1.mp4`);
    });

    test('401 without auth; 200 with the exact bytes', async () => {
      const noAuth = await raw('GET', filePath, { auth: false });
      assertJsonError(noAuth, 401, 'file without auth');
      assert.match(String(noAuth.headers['www-authenticate']), /^Basic/);
      const r = await raw('GET', filePath);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'video/mp4');
      assert.equal(r.headers['accept-ranges'], 'bytes');
      assert.equal(Number(r.headers['content-length']), FAKE_FILE.length);
      assert.ok(r.body.equals(FAKE_FILE), 'body = file bytes');
      const head = await raw('HEAD', filePath);
      assert.equal(head.status, 200);
      assert.equal(Number(head.headers['content-length']), FAKE_FILE.length);
      assert.equal(head.body.length, 0);
    });

    test('Range requests → 206 with Content-Range and the right bytes; unsatisfiable → 416', async () => {
      const size = FAKE_FILE.length;
      const cases: Array<[string, number, number]> = [
        ['bytes=100-199', 100, 199],
        ['bytes=0-0', 0, 0],
        ['bytes=9990-', 9990, size - 1],
        ['bytes=-100', size - 100, size - 1],
        ['bytes=5000-999999', 5000, size - 1],
      ];
      for (const [range, start, end] of cases) {
        const r = await raw('GET', filePath, { headers: { Range: range } });
        assert.equal(r.status, 206, range);
        assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${size}`, range);
        assert.equal(Number(r.headers['content-length']), end - start + 1, range);
        assert.ok(r.body.equals(FAKE_FILE.subarray(start, end + 1)), `${range}: bytes`);
      }
      for (const range of [`bytes=${size}-`, 'bytes=500-100', 'bytes=abc', 'items=0-1', 'bytes=-']) {
        const r = await raw('GET', filePath, { headers: { Range: range } });
        assert.equal(r.status, 416, `${range} → 416`);
        assert.equal(r.headers['content-range'], `bytes */${size}`, range);
      }
    });

    test('404 for unknown files and recordings, metadata files and every traversal attempt', async () => {
      const id = rec.id;
      const attempts = [
        `/openvidu/recordings/${id}/other.mp4`,
        `/openvidu/recordings/${id}/clip_1.webm`,
        `/openvidu/recordings/${id}/.recording.${id}`,
        `/openvidu/recordings/nope-${uid()}/clip_1.mp4`,
        `/openvidu/recordings/${id}/..%2F..%2F..%2Fetc%2Fpasswd`,
        `/openvidu/recordings/${id}/%2e%2e%2f%2e%2e%2fpackage.json`,
        `/openvidu/recordings/..%2F${id}/clip_1.mp4`,
        `/openvidu/recordings/%2e%2e/${id}`,
        `/openvidu/recordings/${id}/%2e%2e%2f${id}%2f.recording.${id}`,
        `/openvidu/recordings/${id}/clip_1.mp4%00.txt`,
        `/openvidu/recordings/${id}/clip_1.mp4%2F`,
        `/openvidu/recordings/${encodeURIComponent(id + '/../' + id)}/clip_1.mp4`,
        `/openvidu/recordings/${id}/%E2%80%AEclip_1.mp4`,
      ];
      for (const p of attempts) {
        const r = await raw('GET', p);
        // 404 for names that are simply not there; 400 (CE-like firewall) for dot segments and encoded slashes.
        assertJsonError(r, /%2e|%2f/i.test(p) ? [400, 404] : 404, `GET ${p}`);
        assert.notEqual(r.status, 200, p);
        assert.ok(!r.body.equals(FAKE_FILE), `${p} served the file`);
        assert.ok(!r.text.includes('uniqueSessionId'), `${p} leaked the metadata file`);
      }
      // Unencoded `..` would be resolved by the URL parser before routing: refused outright instead.
      for (const p of [
        `/openvidu/recordings/${id}/../${id}/clip_1.mp4`,
        `/openvidu/recordings/${id}/../../../../etc/passwd`,
        `/openvidu/recordings/../../package.json`,
      ]) {
        const r = await raw('GET', p);
        assertJsonError(r, [400, 404], `GET ${p}`);
        assert.ok(!r.body.equals(FAKE_FILE), `${p} served the file`);
      }
    });
  });
});
