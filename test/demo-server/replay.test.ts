// Instant replay through the reference server over real HTTP, with the embedded OpenVidu in its normal and its
// CE-strict mode (what a real deployment allows: one recording per session, stop answers `stopped` then `ready`)
// and openvidu-browser publishers in Chromium: bad input first, then a buffer's whole life.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OpenVidu } from 'openvidu-node-client';
import { buildApp } from '../../demo-server/src/app.js';
import { probe } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
import { startTestServer, type TestServer } from '../helpers/app-server.js';
import { startOvBrowser, type OvBrowser } from '../helpers/ov-browser.js';
import type { Participant } from '../helpers/participant.js';
import { SseClient } from '../helpers/sse.js';
import { sleep } from '../helpers/until.js';
import { apiClient } from '../helpers/api.js';

const SECONDS = 6;
const SEGMENT = 5;
let chromium: OvBrowser;
before(async () => (chromium = await startOvBrowser()));
after(() => chromium?.close());

for (const strict of [false, true]) {
  describe(`instant replay (${strict ? 'CE-strict' : 'normal'} OpenVidu)`, () => {
    let server: TestServer;
    const sse: SseClient[] = [];
    const pages: Participant[] = [];
    const api = apiClient(() => server.url);
    const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
    const replayOf = async (room: string) => (await json(await api(`/sessions/${room}/replay`))).body;
    const join = async (room: string, publish = true) => {
      const { status, body } = await json(await api(`/sessions/${room}/token`, { method: 'POST', json: { name: 'P' } }));
      assert.equal(status, 201);
      const p = await chromium.participant();
      pages.push(p);
      await p.join(body.token);
      if (publish) await p.publish();
      return p;
    };
    const events = async (room: string) => {
      const c = new SseClient(`${server.url}/api/sessions/${room}/events`);
      sse.push(c);
      await c.ready;
      return c;
    };
    /** Polls the room's replay state (every 100 ms, bounded) until `ok`. */
    const waitReplay = async (room: string, ok: (r: any) => boolean, ms = 20_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const r = await replayOf(room);
        if (ok(r)) return r;
        if (Date.now() > end) throw new Error(`replay of ${room} never matched: ${JSON.stringify(r)}`);
        await sleep(100);
      }
    };
    const mediaDuration = async (clip: any) => {
      const res = await api(`/clips/${encodeURIComponent(clip.id)}/media`);
      assert.equal(res.status, 200);
      const file = path.join(server.dataDir, `${clip.id.replace(/~/g, '_')}.mp4`);
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      return Number((await probe(file)).duration);
    };
    const segmentFiles = async (room: string) =>
      (await readdir(path.join(server.dataDir, 'replay', room)).catch(() => [] as string[])).filter((f) => !f.startsWith('.') && f.endsWith('.mp4'));
    const bufferRecordings = async () =>
      (await new OpenVidu(server.openvidu!.url, server.openvidu!.secret).listRecordings()).filter((r) => r.properties.name === 'replay~buffer');

    before(async () => {
      server = await startTestServer({
        REPLAY_SECONDS: String(SECONDS),
        REPLAY_SEGMENT_SECONDS: String(SEGMENT),
        OPENVIDU_CE_STRICT: String(strict),
      });
    });
    after(async () => {
      for (const c of sse) c.close();
      for (const p of pages) await p.close().catch(() => {});
      await server?.stop();
    });

    if (!strict)
      it('bad input: replaySeconds out of range, of another type or with extra fields → 400; a body on /replay → 400/415', async () => {
        const room = 'bad-room';
        const bodies = [0, -1, '5', 601, 'NaN', null, true, [5], { n: 5 }].map((replaySeconds) => ({ replaySeconds }) as Record<string, unknown>);
        for (const body of [...bodies, { replaySeconds: 5, admin: true }, { replaySeconds: 5, name: '' }]) {
          const r = await json(await api(`/sessions/${room}/clips`, { method: 'POST', json: body }));
          assert.equal(r.status, 400, JSON.stringify(body));
          assert.equal(r.body.code, 'OV_VALIDATION_FAILED', JSON.stringify(body));
        }
        // 1e400 is Infinity once parsed: out of range too.
        const inf = await json(
          await api(`/sessions/${room}/clips`, { method: 'POST', body: '{"replaySeconds":1e400}', headers: { 'content-type': 'application/json' } }),
        );
        assert.equal(inf.status, 400);
        const extra = await json(await api(`/sessions/${room}/replay`, { method: 'POST', json: { seconds: 30 } }));
        assert.equal(extra.status, 400);
        const text = await json(await api(`/sessions/${room}/replay`, { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } }));
        assert.equal(text.status, 415);
        for (const [method, url] of [
          ['GET', '/sessions/bad%20room/replay'],
          ['POST', '/sessions/..%2f/replay'],
          ['DELETE', `/sessions/${'a'.repeat(65)}/replay`],
          ['GET', `/sessions/${room}/replay?x=1`],
        ]) {
          const r = await json(await api(url, { method }));
          assert.equal(r.status, 400, `${method} ${url}`);
        }
        // A room that does not exist in OpenVidu gets no buffer.
        const ghost = await json(await api('/sessions/ghost-room/replay', { method: 'POST' }));
        assert.equal(ghost.status, 409);
        assert.equal(ghost.body.code, 'OV_SESSION_NOT_LIVE');
        assert.deepEqual(await replayOf('ghost-room'), { sessionId: 'ghost-room', state: 'off', seconds: SECONDS, held: 0 });
      });

    if (!strict)
      it('REPLAY_SECONDS=0: 409 REPLAY_OFF on the replay and the clips routes; a room without a buffer: REPLAY_OFF; nothing held: REPLAY_EMPTY', async () => {
        const off = await buildApp({
          config: { ...server.config, openviduUrl: server.openvidu!.url, openviduSecret: server.openvidu!.secret, replaySeconds: 0 },
          logger: false,
        });
        try {
          const post = await off.inject({ method: 'POST', url: '/api/sessions/off-room/replay' });
          assert.equal(post.statusCode, 409);
          assert.equal(post.json().code, 'REPLAY_OFF');
          const clip = await off.inject({ method: 'POST', url: '/api/sessions/off-room/clips', payload: { replaySeconds: 5 } });
          assert.equal(clip.statusCode, 409);
          assert.equal(clip.json().code, 'REPLAY_OFF');
          assert.deepEqual((await off.inject({ method: 'GET', url: '/api/sessions/off-room/replay' })).json(), {
            sessionId: 'off-room',
            state: 'off',
            seconds: 0,
            held: 0,
          });
        } finally {
          await off.close();
        }
        const plain = await json(await api('/sessions/plain-room/clips', { method: 'POST', json: { replaySeconds: 5 } }));
        assert.equal(plain.status, 409);
        assert.equal(plain.body.code, 'REPLAY_OFF');
        // A buffer asked for in a room where nobody publishes: starting, and nothing to clip.
        await join('idle-room', false);
        const on = await json(await api('/sessions/idle-room/replay', { method: 'POST', json: {} }));
        assert.equal(on.status, 200);
        assert.equal(on.body.state, 'starting');
        const empty = await json(await api('/sessions/idle-room/clips', { method: 'POST', json: { replaySeconds: 5 } }));
        assert.equal(empty.status, 409);
        assert.equal(empty.body.code, 'REPLAY_EMPTY');
        assert.equal((await json(await api('/sessions/idle-room/replay', { method: 'DELETE' }))).body.state, 'off');
      });

    it("a buffer's life: off → starting → on (SSE and signal), replay clips, a user clip cut from it, a join and a leave, retention, off", async () => {
      const room = `replay-${strict ? 'strict' : 'normal'}`;
      const stream = await events(room);
      const host = await join(room);
      assert.deepEqual(await replayOf(room), { sessionId: room, state: 'off', seconds: SECONDS, held: 0 });

      const on = await json(await api(`/sessions/${room}/replay`, { method: 'POST' }));
      assert.equal(on.status, 200);
      assert.ok(['starting', 'on'].includes(on.body.state), JSON.stringify(on.body));
      assert.equal((await json(await api(`/sessions/${room}/replay`, { method: 'POST', json: {} }))).status, 200, 'idempotent');
      await stream.waitFor((e) => e.event === 'replay' && e.data.state === 'on');
      assert.deepEqual(
        stream.events.filter((e) => e.event === 'replay').map((e) => e.data.state),
        ['starting', 'on'],
      );
      // Participants are told through OpenVidu: the same Replay as the event.
      const onEvent = stream.events.find((e) => e.event === 'replay' && e.data.state === 'on')!;
      const signal = await host.waitForEvent({ type: 'signal', signalType: 'signal:ov-replay', data: JSON.stringify(onEvent.data) });
      assert.equal(signal.from, null);

      // More than held, early: what is held.
      const early = await waitReplay(room, (r) => r.held >= 2);
      const partial = await json(await api(`/sessions/${room}/clips`, { method: 'POST', json: { replaySeconds: 600 } }));
      assert.equal(partial.status, 201, JSON.stringify(partial.body));
      assert.equal(partial.body.status, 'ready');
      const partialDuration = await mediaDuration(partial.body);
      console.log(`    [${strict ? 'strict' : 'normal'}] asked 600 with ${early.held} s held: ${partialDuration.toFixed(2)} s`);
      assert.ok(partialDuration < SECONDS && Math.abs(partialDuration - early.held) < 1.5, `${partialDuration} vs held ${early.held}`);

      // A full buffer: the last 5 s, ready when answered.
      await waitReplay(room, (r) => r.held >= SECONDS);
      const t0 = performance.now();
      const replay = await json(await api(`/sessions/${room}/clips`, { method: 'POST', json: { replaySeconds: 5, name: 'Goal!' } }));
      const latency = performance.now() - t0;
      console.log(`    [${strict ? 'strict' : 'normal'}] click → ready for a 5 s replay: ${Math.round(latency)} ms`);
      assert.equal(replay.status, 201, JSON.stringify(replay.body));
      const clip = replay.body;
      assert.match(clip.id, new RegExp(`^${room}~r[a-z0-9]{8}$`));
      assert.equal(clip.status, 'ready');
      assert.equal(clip.name, 'Goal!');
      const d = await mediaDuration(clip);
      assert.ok(Math.abs(d - 5) <= 1, `replay duration ${d}`);
      assert.ok(Math.abs(clip.duration - d) < 0.1);
      await stream.waitFor((e) => e.event === 'clip' && e.data.id === clip.id && e.data.status === 'ready');
      const listed = (await json(await api(`/sessions/${room}/clips`))).body.clips;
      assert.ok(listed.some((c: any) => c.id === clip.id && c.status === 'ready'));
      assert.ok(!listed.some((c: any) => c.name === 'replay~buffer'));

      // A user clip while the buffer runs: recording now, cut from the buffer at stop; one at a time.
      const tStart = Date.now();
      const started = await json(await api(`/sessions/${room}/clips`, { method: 'POST', json: { name: 'Mine' } }));
      assert.equal(started.status, 201, JSON.stringify(started.body));
      assert.equal(started.body.status, 'recording');
      assert.match(started.body.id, /~r[a-z0-9]{8}$/);
      const twice = await json(await api(`/sessions/${room}/clips`, { method: 'POST', json: {} }));
      assert.equal(twice.status, 409);
      assert.equal(twice.body.code, 'OV_CLIP_ALREADY_RECORDING');

      // A second participant joins and leaves meanwhile: the buffer goes on.
      const guest = await join(room);
      await sleep(2000);
      const tStop = Date.now();
      const stopped = await json(await api(`/clips/${encodeURIComponent(started.body.id)}/stop`, { method: 'POST' }));
      assert.equal(stopped.status, 200);
      const ready =
        stopped.body.status === 'ready'
          ? stopped.body
          : (await stream.waitFor((e) => e.event === 'clip' && e.data.id === started.body.id && e.data.status === 'ready')).data;
      const userDuration = await mediaDuration(ready);
      const wall = (tStop - tStart) / 1000;
      console.log(`    [${strict ? 'strict' : 'normal'}] user clip of ${wall.toFixed(2)} s: ${userDuration.toFixed(2)} s`);
      assert.ok(Math.abs(userDuration - wall) <= 1, `user clip duration ${userDuration}, recorded for ${wall}`);
      assert.equal((await json(await api(`/clips/${encodeURIComponent(started.body.id)}/stop`, { method: 'POST' }))).body.status, 'ready');
      await guest.call('ovLeave');
      await sleep(2500);
      assert.equal((await replayOf(room)).state, 'on');
      assert.ok(!stream.events.some((e) => e.event === 'replay' && e.data.state !== 'on' && e.data.state !== 'starting'));

      // Retention: at most REPLAY_SECONDS plus one segment on disk, however long it runs.
      for (let i = 0; i < 3; i++) {
        await sleep(SEGMENT * 1000);
        const files = await segmentFiles(room);
        let held = 0;
        const spans: Array<[number, number]> = []; // [start, end] on the wall clock (end = stop time, in the name)
        for (const f of files) {
          const d = Number((await probe(path.join(server.dataDir, 'replay', room, f))).duration);
          const end = Number(/\.(\d{13})\.mp4$/.exec(f)![1]);
          spans.push([end - d * 1000, end]);
          held += d;
        }
        const gaps = spans
          .sort((x, y) => x[1] - y[1])
          .slice(1)
          .map(([start], j) => ((start - spans[j][1]) / 1000).toFixed(2));
        console.log(`    [${strict ? 'strict' : 'normal'}] on disk: ${files.length} segments, ${held.toFixed(1)} s; gaps at rotations: ${gaps.join(', ')} s`);
        assert.ok(files.length >= 1 && held <= SECONDS + SEGMENT + 0.5, `${files.length} files, ${held} s`);
      }
      const again = await json(await api(`/sessions/${room}/clips`, { method: 'POST', json: { replaySeconds: 5 } }));
      assert.equal(again.status, 201);
      assert.ok(Math.abs((await mediaDuration(again.body)) - 5) <= 1);

      // Off: state off everywhere, nothing held, nothing left in OpenVidu; the clips stay.
      const off = await json(await api(`/sessions/${room}/replay`, { method: 'DELETE' }));
      assert.equal(off.status, 200);
      assert.deepEqual(off.body, { sessionId: room, state: 'off', seconds: SECONDS, held: 0 });
      await stream.waitFor((e) => e.event === 'replay' && e.data.state === 'off');
      await host.waitForEvent({ type: 'signal', signalType: 'signal:ov-replay', data: JSON.stringify(off.body) });
      assert.deepEqual(await segmentFiles(room), []);
      assert.deepEqual(await readdir(path.join(server.dataDir, 'replay')), []);
      assert.deepEqual(await bufferRecordings(), []);
      assert.equal((await json(await api(`/clips/${encodeURIComponent(clip.id)}`))).body.status, 'ready');
      await host.call('ovLeave');
    });

    it('a clip recording: the buffer waits for it; the room ends: the buffer goes with it (folder, OpenVidu recording), state off', async () => {
      const room = `ending-${strict ? 'strict' : 'normal'}`;
      const stream = await events(room);
      const p = await join(room);
      const clip = await json(await api(`/sessions/${room}/clips`, { method: 'POST', json: {} }));
      assert.equal(clip.status, 201);
      assert.doesNotMatch(clip.body.id, /~r/, "OpenVidu's own clip");
      const waiting = await json(await api(`/sessions/${room}/replay`, { method: 'POST' }));
      assert.equal(waiting.status, 200);
      assert.equal(waiting.body.state, 'starting');
      assert.equal((await json(await api(`/clips/${encodeURIComponent(clip.body.id)}/stop`, { method: 'POST' }))).status, 200);
      await waitReplay(room, (r) => r.state === 'on' && r.held >= 1);
      assert.ok((await bufferRecordings()).length >= 1);
      await p.call('ovLeave');
      await stream.waitFor((e) => e.event === 'replay' && e.data.state === 'off', 20_000);
      assert.equal((await replayOf(room)).state, 'off');
      assert.deepEqual(await segmentFiles(room), []);
      assert.deepEqual(await readdir(path.join(server.dataDir, 'replay')), []);
      assert.deepEqual(await bufferRecordings(), []);
    });
  });
}
