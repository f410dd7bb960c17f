/**
 * Hostile HTTP input: malformed bodies, wrong types, oversized and mistyped bodies, path traversal and odd ids, and a
 * seeded fuzz loop (FUZZ_SEED, default 0x5eed; a failure message names the seed and the request).
 *
 * Run: npm test -- test/embedded-openvidu/rest/bad-input.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { appendFileSync } from 'node:fs';
import { useStubRecorder } from '../../helpers/stub-recorder.js';
import { isEmbedded } from '../../helpers/openvidu-target.js';
import {
  useRestTarget,
  target,
  AUTH,
  cleanups,
  API,
  raw,
  api,
  assertJsonError,
  createSession,
  createConnection,
  activeSession,
  prng,
  FAKE_FILE,
  waitRecordingStatus,
  type Res,
} from '../../helpers/ov-rest.js';

useRestTarget();

describe('Bad input', () => {
  test('malformed JSON, arrays and scalars as bodies → 400', async () => {
    const s = await createSession();
    const routes = ['/sessions', `/sessions/${s.id}/connection`, '/tokens', '/signal', '/recordings/start'];
    for (const route of routes) {
      for (const body of ['{', '{"a":}', '{"session": "x",}', "{'a':1}", 'nul', '[1,2]', '[]', '"string"', '42', 'true', 'null', '\u0000']) {
        assertJsonError(await api('POST', route, body), 400, `POST ${route} with body ${JSON.stringify(body)}`);
      }
    }
  });

  test('POST /sessions: every field with a wrong type or value → 400', async () => {
    const bad: Array<Record<string, unknown>> = [
      { mediaMode: 1 },
      { mediaMode: 'P2P' },
      { mediaMode: ['ROUTED'] },
      { recordingMode: true },
      { recordingMode: 'SOMETIMES' },
      { customSessionId: 5 },
      { customSessionId: {} },
      { customSessionId: 'has space' },
      { customSessionId: '../etc' },
      { customSessionId: 'ünïcode' },
      { customSessionId: 'a'.repeat(300) },
      { forcedVideoCodec: 'AV2' },
      { forcedVideoCodec: [] },
      { allowTranscoding: 'yes' },
      { allowTranscoding: 1 },
      { defaultRecordingProperties: 'COMPOSED' },
      { defaultRecordingProperties: [] },
      { defaultRecordingProperties: { hasAudio: 'yes' } },
      { defaultRecordingProperties: { hasVideo: 0 } },
      { defaultRecordingProperties: { outputMode: 'X' } },
      { defaultRecordingProperties: { recordingLayout: 3 } },
      { defaultRecordingProperties: { frameRate: '25' } },
      { defaultRecordingProperties: { resolution: 1280 } },
      { defaultRecordingProperties: { name: 7 } },
      { defaultRecordingProperties: { name: 'bad name' } },
      { defaultRecordingProperties: { shmSize: 'big' } },
    ];
    const countBefore = (await api('GET', '/sessions')).json.numberOfElements;
    for (const body of bad) assertJsonError(await api('POST', '/sessions', body), 400, `POST /sessions ${JSON.stringify(body).slice(0, 80)}`);
    assert.equal((await api('GET', '/sessions')).json.numberOfElements, countBefore, 'no session created by a rejected request');
  });

  test('POST /sessions/{id}/connection and /tokens: every field with a wrong type or value → 400', async () => {
    const s = await createSession();
    const bad: Array<Record<string, unknown>> = [
      { type: 1 },
      { type: 'SIP' },
      { data: 5 },
      { data: { a: 1 } },
      { data: 'x'.repeat(20_000) },
      { record: 'true' },
      { record: 1 },
      { role: 'ADMIN' },
      { role: 1 },
      { role: 'publisher' },
      { kurentoOptions: 'x' },
      { kurentoOptions: [] },
      { kurentoOptions: 3 },
      { customIceServers: 'turn:x' },
      { customIceServers: [1] },
      { customIceServers: [null] },
      { customIceServers: {} },
    ];
    for (const body of bad) {
      assertJsonError(await api('POST', `/sessions/${s.id}/connection`, body), 400, `POST connection ${JSON.stringify(body).slice(0, 60)}`);
      if (!('customIceServers' in body) && !('type' in body)) {
        assertJsonError(await api('POST', '/tokens', { session: s.id, ...body }), 400, `POST /tokens ${JSON.stringify(body).slice(0, 60)}`);
      }
    }
    assertJsonError(await api('POST', '/tokens', { session: 5 }), 400, 'POST /tokens session not a string');
    const list = await api('GET', `/sessions/${s.id}/connection`);
    assert.equal(list.json.numberOfElements, 0, 'no connection created by a rejected request');
  });

  test('body over 1 MiB → 413 (declared and chunked); non-JSON content type with a body → 415', async () => {
    const big = JSON.stringify({ data: 'x'.repeat(1024 * 1024 + 10) });
    const declared = await raw('POST', `${API}/sessions`, {
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(big) },
      body: big,
    });
    assertJsonError(declared, 413, 'declared > 1 MiB');
    const chunked = await raw('POST', `${API}/sessions`, {
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      chunks: Array.from({ length: 20 }, () => Buffer.alloc(64 * 1024, 0x20)),
    });
    assertJsonError(chunked, 413, 'chunked > 1 MiB');
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      assertJsonError(await api('POST', '/sessions', '{"customSessionId":"ct"}', { headers: { 'Content-Type': type } }), 415, `Content-Type ${type}`);
    }
    // The server is fine afterwards, and the node client's "form-urlencoded header, no body" still works.
    const empty = await raw('POST', `${API}/sessions`, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(empty.status, 200);
    cleanups.push(() => api('DELETE', `/sessions/${empty.json.id}`));
  });

  test('odd ids in every path parameter → 4xx JSON error, never 5xx', async () => {
    const s = await createSession();
    const c = await createConnection(s.id);
    const ids = [
      '..',
      '%2e%2e',
      '%2E%2E%2F%2E%2E',
      '..%2F..%2Fetc%2Fpasswd',
      '..%5C..%5Cwindows',
      '%00',
      '%0A%0D',
      '%1F%7F',
      '%C3%A9%C3%B1',
      '%F0%9F%98%80',
      '%E2%80%AE',
      '%FF%FE',
      '%E0%A4%A',
      '%',
      '%ZZ',
      'ses_%00',
      encodeURIComponent('<script>'),
      encodeURIComponent('"\'{}'),
      'a'.repeat(5000),
      '~1',
      'x~',
      '%20',
    ];
    const templates: Array<[string, (id: string) => string]> = [
      ['GET', (id) => `${API}/sessions/${id}`],
      ['DELETE', (id) => `${API}/sessions/${id}`],
      ['GET', (id) => `${API}/sessions/${id}/connection`],
      ['POST', (id) => `${API}/sessions/${id}/connection`],
      ['GET', (id) => `${API}/sessions/${id}/connection/${c.id}`],
      ['GET', (id) => `${API}/sessions/${s.id}/connection/${id}`],
      ['DELETE', (id) => `${API}/sessions/${s.id}/connection/${id}`],
      ['PATCH', (id) => `${API}/sessions/${s.id}/connection/${id}`],
      ['DELETE', (id) => `${API}/sessions/${s.id}/stream/${id}`],
      ['DELETE', (id) => `${API}/sessions/${id}/stream/str_CAM_Abcd_con_X`],
      ['GET', (id) => `${API}/recordings/${id}`],
      ['DELETE', (id) => `${API}/recordings/${id}`],
      ['POST', (id) => `${API}/recordings/stop/${id}`],
      ['GET', (id) => `/openvidu/recordings/${id}/x.mp4`],
      ['GET', (id) => `/openvidu/recordings/${s.id}/${id}`],
      ['GET', (id) => `${API}/config/${id}`],
    ];
    for (const [method, tpl] of templates) {
      for (const id of ids) {
        const p = tpl(id);
        const r = await raw(method, p, method === 'POST' ? { headers: { 'Content-Type': 'application/json' }, body: '{}' } : {});
        assert.ok(r.status >= 400 && r.status < 500, `${method} ${p.slice(0, 120)} → ${r.status} ${r.text.slice(0, 200)}`);
        assertJsonError(r, r.status, `${method} ${p.slice(0, 120)}`);
      }
    }
    // Untouched by all of that.
    assert.equal((await api('GET', `/sessions/${s.id}/connection/${c.id}`)).json.status, 'pending');
  });

  test('raw request lines the URL parser chokes on → 4xx, never 5xx', async () => {
    const u = new URL(target.url);
    const send = (line: string) =>
      new Promise<string>((resolve) => {
        const sock = net.connect(Number(u.port), u.hostname, () =>
          sock.write(Buffer.from(`${line}\r\nHost: x\r\nAuthorization: ${AUTH}\r\nConnection: close\r\n\r\n`, 'utf8')),
        );
        let buf = '';
        sock.on('data', (d) => (buf += d.toString('latin1')));
        sock.on('close', () => resolve(buf));
        sock.on('error', () => resolve(buf));
        setTimeout(() => sock.destroy(), 3000).unref();
      });
    if (u.protocol !== 'http:') return; // raw TLS not worth it
    for (const line of [
      'GET http://[ HTTP/1.1',
      'GET http://x:99999/openvidu/api/config HTTP/1.1',
      'GET http://[::1/openvidu/api/sessions HTTP/1.1',
      'GET /openvidu/api/sessions/\x01 HTTP/1.1',
      'GET /openvidu/api/sessions/ñ HTTP/1.1',
      'GET /openvidu/api/sessions/a b HTTP/1.1',
      'GET /openvidu/api/sessions/%ZZ HTTP/1.1',
      'DELETE /openvidu/api/sessions/%E0%A4%A HTTP/1.1',
      'GET * HTTP/1.1',
      'GET openvidu/api/sessions HTTP/1.1',
    ]) {
      const answer = await send(line);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0);
      assert.ok(status >= 400 && status < 500, `${JSON.stringify(line)} → ${answer.split('\r\n')[0] || '(no answer)'}`);
    }
    assert.equal((await api('GET', '/config')).status, 200, 'server still answers');
  });

  test('fuzz: ≥ 300 seeded random requests never get a 5xx, and nothing unrelated is lost', { timeout: 45_000 }, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 0x5eed);
    const rnd = prng(seed);
    // Protected state: an active session with a pending connection and (embedded) a ready recording.
    const { s: prot, ps } = await activeSession(1);
    await createConnection(prot.id, { data: 'protected-pending' });
    let protRecording: any;
    if (target.embedded) {
      const restore = useStubRecorder(target.embedded!, FAKE_FILE, 1.25);
      try {
        const r = await api('POST', '/recordings/start', { session: prot.id, resolution: '320x240', frameRate: 10 });
        assert.equal(r.status, 200, r.text);
        await api('POST', `/recordings/stop/${r.json.id}`);
        protRecording = await waitRecordingStatus(r.json.id, 'ready');
      } finally {
        restore();
      }
    }
    const snapshot = async () => (await api('GET', `/sessions/${prot.id}?pendingConnections=true`)).json;
    const protBefore = await snapshot();
    const recordingsBefore = (await api('GET', '/recordings')).json.items;

    // A victim the fuzz may legitimately modify or delete.
    const victim = await createSession();
    const victimConn = await createConnection(victim.id);
    const idPool = [
      victim.id,
      victimConn.id,
      `${victim.id}~1`,
      'ses_Unknown1234',
      'con_Unknown1234',
      'str_CAM_Abcd_con_Unknown1234',
      '',
      '..',
      '%2e%2e',
      '..%2F..%2Fetc%2Fpasswd',
      '%00',
      '%0A',
      '%FF',
      '%E0%A4%A',
      '%F0%9F%98%80',
      encodeURIComponent('ñ😀'),
      '~1',
      '%25',
      'x'.repeat(3000),
    ];
    const randomId = () => {
      if (rnd.bool(0.6)) return rnd.pick(idPool);
      const alphabet = 'abcXYZ019_-~.%/';
      return Array.from({ length: 1 + rnd.int(40) }, () => alphabet[rnd.int(alphabet.length)]).join('');
    };
    // Each route with the methods it really has: 70 % of the requests use one of them, to get past the router.
    const routes: Array<[string[], () => string]> = [
      [['GET', 'POST'], () => `${API}/sessions`],
      [['GET', 'DELETE'], () => `${API}/sessions/${randomId()}`],
      [['GET', 'POST'], () => `${API}/sessions/${randomId()}/connection`],
      [['GET', 'DELETE', 'PATCH'], () => `${API}/sessions/${randomId()}/connection/${randomId()}`],
      [['DELETE'], () => `${API}/sessions/${randomId()}/stream/${randomId()}`],
      [['POST'], () => `${API}/tokens`],
      [['POST'], () => `${API}/signal`],
      [['GET'], () => `${API}/recordings`],
      [['POST'], () => `${API}/recordings/start`],
      [['POST'], () => `${API}/recordings/stop/${randomId()}`],
      [['GET', 'DELETE'], () => `${API}/recordings/${randomId()}`],
      [['GET'], () => `${API}/config`],
      [
        ['GET'],
        () =>
          `${API}/config/${rnd.pick(['openvidu-version', 'openvidu-publicurl', 'openvidu-recording', 'openvidu-recording-path', 'openvidu-cdr', randomId()])}`,
      ],
      [['POST'], () => `${API}/broadcast/${rnd.pick(['start', 'stop'])}`],
      [['GET', 'HEAD'], () => `/openvidu/recordings/${randomId()}/${randomId()}`],
      [['GET', 'POST'], () => `${API}/${randomId()}`],
      [['GET'], () => `${API}/sessions?pendingConnections=${rnd.pick(['true', 'false', '1', '', '%00'])}&webRtcStats=${rnd.pick(['true', 'x'])}`],
    ];
    const fields = [
      'session',
      'to',
      'type',
      'data',
      'role',
      'record',
      'kurentoOptions',
      'customIceServers',
      'mediaMode',
      'recordingMode',
      'customSessionId',
      'defaultRecordingProperties',
      'forcedVideoCodec',
      'allowTranscoding',
      'name',
      'outputMode',
      'recordingLayout',
      'customLayout',
      'resolution',
      'frameRate',
      'hasAudio',
      'hasVideo',
      'shmSize',
      'ignoreFailedStreams',
      'mediaNode',
      'broadcastUrl',
      'rtspUri',
      '__proto__',
      'constructor',
    ];
    const randomValue = (depth = 0): unknown => {
      switch (rnd.int(depth > 2 ? 7 : 10)) {
        case 0:
          return null;
        case 1:
          return rnd.bool();
        case 2:
          return rnd.pick([0, -1, 1, 25, 2.5, 1e308, -1e308, 2 ** 53 + 1, 536870912]);
        case 3:
          return rnd.pick([
            '',
            'ROUTED',
            'COMPOSED',
            'INDIVIDUAL',
            'MODERATOR',
            'SUBSCRIBER',
            '640x480',
            '99x100',
            'signal:x',
            '../../x',
            '\u0000',
            'é😀',
            victim.id,
            victimConn.id,
          ]);
        case 4:
          return randomId();
        case 5:
          return 'y'.repeat(rnd.int(5000));
        case 6:
          return rnd.pick([victim.id, 'ses_Unknown1234']);
        case 7:
          return Array.from({ length: rnd.int(4) }, () => randomValue(depth + 1));
        default: {
          const o: Record<string, unknown> = {};
          for (let i = rnd.int(5); i > 0; i--) o[rnd.pick(fields)] = randomValue(depth + 1);
          return o;
        }
      }
    };
    const randomBody = (): string | undefined => {
      switch (rnd.int(8)) {
        case 0:
          return undefined;
        case 1:
          return '';
        case 2:
          return rnd.pick(['{', '}', '{"a":', '[', 'nul', '{"session":"x"', '\u0000\u0001', '%7B%7D', '{"a":1}{"b":2}']);
        case 3:
          return JSON.stringify(randomValue(1));
        default: {
          const o: Record<string, unknown> = {};
          for (let i = 1 + rnd.int(6); i > 0; i--) o[rnd.pick(fields)] = randomValue(1);
          return JSON.stringify(o);
        }
      }
    };
    const N = 400;
    for (let i = 0; i < N; i++) {
      const [methods, makePath] = rnd.pick(routes);
      const method = rnd.bool(0.7) ? rnd.pick(methods) : rnd.pick(['GET', 'POST', 'DELETE', 'PATCH', 'PUT', 'OPTIONS', 'HEAD']);
      const p = makePath();
      const body = method === 'GET' || method === 'HEAD' ? (rnd.bool(0.1) ? randomBody() : undefined) : randomBody();
      const headers: Record<string, string> = {};
      const ct = rnd.pick(['application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', '', 'application/x-www-form-urlencoded']);
      if (ct && body !== undefined) headers['Content-Type'] = ct;
      if (rnd.bool(0.1)) headers.Origin = 'https://fuzz.example';
      const auth = rnd.bool(0.88) ? true : rnd.pick([false, 'Basic Zm9vOmJhcg==', 'Basic', `Basic ${'A'.repeat(500)}`]);
      const where = `seed ${seed}, request #${i}: ${method} ${p.slice(0, 150)} body=${JSON.stringify(body)?.slice(0, 150)} ct=${ct} auth=${auth}`;
      if (process.env.FUZZ_LOG) appendFileSync(process.env.FUZZ_LOG, where + '\n'); // FUZZ_LOG=<file>: every request
      let r: Res;
      try {
        r = await raw(method, p, { headers, body, auth });
      } catch (err) {
        assert.fail(`${where}: request failed (${(err as Error).message})`);
      }
      if (process.env.FUZZ_LOG) appendFileSync(process.env.FUZZ_LOG, `  → ${r.status}\n`);
      const isBroadcast = method === 'POST' && /^\/openvidu\/api\/broadcast\/(start|stop)\/?$/.test(p);
      assert.ok(r.status < 500 || (isBroadcast && r.status === 501), `${where} → ${r.status} ${r.text.slice(0, 300)}`);
      if (r.status >= 400 && method !== 'HEAD' && isEmbedded()) {
        assert.equal(r.json?.status, r.status, `${where}: error body is CE's JSON (${r.text.slice(0, 200)})`);
      }
    }

    // Still serving, and nothing outside the victim was touched.
    assert.equal((await api('GET', '/config')).status, 200);
    const fresh = await api('POST', '/sessions', {});
    assert.equal(fresh.status, 200, 'a normal request still works');
    cleanups.push(() => api('DELETE', `/sessions/${fresh.json.id}`));
    assert.deepEqual(await snapshot(), protBefore, 'the protected session (connections included) is unchanged');
    const recordingsAfter = (await api('GET', '/recordings')).json.items;
    for (const r of recordingsBefore) {
      assert.deepEqual(
        recordingsAfter.find((x: any) => x.id === r.id),
        r,
        `recording ${r.id} unchanged`,
      );
    }
    if (protRecording) {
      const file = await raw('GET', new URL(protRecording.url).pathname);
      assert.equal(file.status, 200);
      assert.ok(file.body.equals(FAKE_FILE), 'the protected recording file is intact');
    }
    // The participant is still connected and reachable.
    await api('POST', '/signal', { session: prot.id, data: 'still here' });
    await ps[0].rpc.waitFor('sendMessage', (x) => x.data === 'still here', 5000);
  });
});
