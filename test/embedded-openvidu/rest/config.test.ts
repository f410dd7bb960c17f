/**
 * GET /config, the plain-text config endpoints, and a server started with recording disabled.
 *
 * Run: npm test -- test/embedded-openvidu/rest/config.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openviduTarget, isEmbedded } from '../../helpers/openvidu-target.js';
import { useRestTarget, target, API, api, assertJsonError } from '../../helpers/ov-rest.js';

useRestTarget();

describe('Config', () => {
  test('GET /config → the CE keys', async () => {
    const r = await api('GET', '/config');
    assert.equal(r.status, 200);
    const c = r.json;
    for (const k of [
      'VERSION',
      'DOMAIN_OR_PUBLIC_IP',
      'HTTPS_PORT',
      'OPENVIDU_PUBLICURL',
      'OPENVIDU_CDR',
      'OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH',
      'OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH',
      'OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH',
      'OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH',
      'OPENVIDU_STREAMS_FORCED_VIDEO_CODEC',
      'OPENVIDU_STREAMS_ALLOW_TRANSCODING',
      'OPENVIDU_WEBRTC_SIMULCAST',
      'OPENVIDU_SESSIONS_GARBAGE_INTERVAL',
      'OPENVIDU_SESSIONS_GARBAGE_THRESHOLD',
      'OPENVIDU_RECORDING',
      'OPENVIDU_WEBHOOK',
    ]) {
      assert.ok(k in c, `config has ${k}`);
    }
    assert.match(c.VERSION, /^2\.3\d\.\d+$/);
    if (!isEmbedded()) return;
    const u = new URL(target.url);
    assert.equal(c.VERSION, '2.32.2');
    assert.equal(c.DOMAIN_OR_PUBLIC_IP, u.hostname);
    assert.equal(c.HTTPS_PORT, Number(u.port));
    assert.equal(c.OPENVIDU_PUBLICURL, `${target.url}/`);
    assert.equal(c.OPENVIDU_RECORDING, true);
    assert.equal(c.OPENVIDU_RECORDING_VERSION, '2.32.2');
    assert.equal(path.resolve(c.OPENVIDU_RECORDING_PATH), path.resolve(target.recordingPath!));
    assert.equal(c.OPENVIDU_RECORDING_NOTIFICATION, 'publisher_moderator');
    assert.equal(c.OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT, 120);
    assert.equal(c.OPENVIDU_RECORDING_PUBLIC_ACCESS, false);
    assert.equal(c.OPENVIDU_WEBHOOK, false);
    assert.ok(!('OPENVIDU_WEBHOOK_ENDPOINT' in c), 'no webhook keys when the webhook is off');
    assert.equal(c.OPENVIDU_CDR, false);
  });

  test('plain-text config endpoints; openvidu-publicurl needs no auth', async () => {
    const v = await api('GET', '/config/openvidu-version');
    assert.equal(v.status, 200);
    assert.match(String(v.headers['content-type']), /text\/plain/);
    assert.match(v.text, /^2\.3\d\.\d+$/);
    assertJsonError(await api('GET', '/config/openvidu-version', undefined, { auth: false }), 401, 'openvidu-version without auth');
    const pu = await api('GET', '/config/openvidu-publicurl', undefined, { auth: false });
    assert.equal(pu.status, 200, 'openvidu-publicurl without auth');
    if (isEmbedded()) assert.equal(pu.text, `${target.url}/`);
    const rec = await api('GET', '/config/openvidu-recording');
    assert.equal(rec.status, 200);
    assert.equal(rec.text, 'true');
    const rp = await api('GET', '/config/openvidu-recording-path');
    assert.equal(rp.status, 200);
    if (isEmbedded()) assert.equal(path.resolve(rp.text), path.resolve(target.recordingPath!));
    const cdr = await api('GET', '/config/openvidu-cdr');
    assert.equal(cdr.status, 200);
    assert.equal(cdr.text, 'false');
  });

  test('a server started with recording:false → 501 on every recording route', { skip: !isEmbedded() && 'needs the embedded server' }, async () => {
    const off = await openviduTarget({ recording: false });
    try {
      const call = (method: string, p: string, body?: unknown) =>
        fetch(`${off.url}${p}`, {
          method,
          headers: { Authorization: 'Basic ' + Buffer.from(`OPENVIDUAPP:${off.secret}`).toString('base64'), 'Content-Type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const sess = await (await call('POST', `${API}/sessions`, {})).json();
      for (const [m, p, b] of [
        ['POST', `${API}/recordings/start`, { session: sess.id }],
        ['POST', `${API}/recordings/stop/${sess.id}`, undefined],
        ['GET', `${API}/recordings`, undefined],
        ['GET', `${API}/recordings/${sess.id}`, undefined],
        ['DELETE', `${API}/recordings/${sess.id}`, undefined],
        ['GET', `/openvidu/recordings/${sess.id}/${sess.id}.mp4`, undefined],
      ] as const) {
        const r = await call(m, p, b);
        assert.equal(r.status, 501, `${m} ${p} with recording disabled`);
        assert.equal((await r.json()).status, 501);
      }
      const cfg = await (await call('GET', `${API}/config`)).json();
      assert.equal(cfg.OPENVIDU_RECORDING, false);
      assert.ok(!('OPENVIDU_RECORDING_PATH' in cfg), 'no OPENVIDU_RECORDING_* keys when recording is off');
      assert.equal(await (await call('GET', `${API}/config/openvidu-recording`)).text(), 'false');
    } finally {
      await off.close();
    }
  });
});
