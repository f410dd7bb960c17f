// The reference server over real HTTP, with the embedded OpenVidu and an openvidu-browser publisher in Chromium:
// tokens that join, a clip's whole life, live events on SSE and as OpenVidu signals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/app-server.js';
import { startOvBrowser, type OvBrowser } from '../helpers/ov-browser.js';
import { SseClient } from '../helpers/sse.js';
import { probe } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
import { assertJpeg } from '../helpers/image-headers.js';
import { sleep } from '../helpers/until.js';
import { apiClient } from '../helpers/api.js';

let server: TestServer;
let chromium: OvBrowser;
const sse: SseClient[] = [];

const api = apiClient(() => server.url);

async function json(res: Response) {
  const body = await res.json();
  return { status: res.status, body } as { status: number; body: any };
}

async function join(room: string, name: string, publish = true) {
  const { status, body } = await json(await api(`/sessions/${room}/token`, { method: 'POST', json: { name } }));
  assert.equal(status, 201, JSON.stringify(body));
  const p = await chromium.participant();
  const joined = await p.join(body.token, JSON.stringify({ clientData: name }));
  assert.equal(joined.connectionId, body.connectionId);
  if (publish) await p.publish();
  return { p, joined };
}

function events(room: string, headers: Record<string, string> = {}) {
  const c = new SseClient(`${server.url}/api/sessions/${room}/events`, headers);
  sse.push(c);
  return c;
}

describe('clips through the reference server', () => {
  before(async () => {
    server = await startTestServer();
    chromium = await startOvBrowser();
  });

  after(async () => {
    for (const c of sse) c.close();
    await chromium?.close();
    await server?.stop();
  });

  it('a token from the route lets openvidu-browser join; the server data carries the name and role', async () => {
    const { p, joined } = await join('token-room', 'Alice <img src=x onerror=alert(1)>', false);
    assert.equal(joined.role, 'PUBLISHER');
    const [client, serverData] = joined.data.split('%/%');
    assert.deepEqual(JSON.parse(client), { clientData: 'Alice <img src=x onerror=alert(1)>' });
    assert.deepEqual(JSON.parse(serverData), { name: 'Alice <img src=x onerror=alert(1)>', role: 'publisher' });
    // A subscriber token cannot publish.
    const sub = await json(await api('/sessions/token-room/token', { method: 'POST', json: { name: 'Viewer', role: 'subscriber' } }));
    assert.equal(sub.status, 201);
    const viewer = await chromium.participant();
    assert.equal((await viewer.join(sub.body.token)).role, 'SUBSCRIBER');
    await assert.rejects(viewer.publish(), /PERMISSION/);
    // Tokens are single use.
    const again = await chromium.participant();
    await assert.rejects(again.join(sub.body.token));
    await Promise.all([p.close(), viewer.close(), again.close()]);
  });

  it("a clip's whole life: start → recording → stop → ready → media plays (Range) → delete; events on SSE and as signals", async () => {
    const room = 'clip-room';
    const stream = events(room);
    await stream.ready;
    assert.equal(stream.status, 200);
    assert.match(stream.headers!.get('content-type')!, /text\/event-stream/);
    const { p } = await join(room, 'Host');

    const started = await json(await api(`/sessions/${room}/clips`, { method: 'POST', json: { name: '첫 클립 <b>' } }));
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const clip = started.body;
    assert.equal(clip.status, 'recording');
    assert.equal(clip.name, '첫 클립 <b>');
    assert.equal(clip.sessionId, room);
    assert.equal(clip.mediaUrl, `/api/clips/${encodeURIComponent(clip.id)}/media`);
    const sig = await p.waitForEvent({ type: 'signal', signalType: 'signal:ov-clip' });
    assert.equal(sig.from, null, 'server signals have no sender');
    assert.equal(JSON.parse(sig.data as string).status, 'recording');

    // Only one clip at a time per room.
    const twice = await json(await api(`/sessions/${room}/clips`, { method: 'POST', json: {} }));
    assert.equal(twice.status, 409);
    assert.equal(twice.body.code, 'OV_CLIP_ALREADY_RECORDING');
    const busyDelete = await json(await api(`/clips/${encodeURIComponent(clip.id)}`, { method: 'DELETE' }));
    assert.equal(busyDelete.status, 409);
    assert.equal(busyDelete.body.code, 'OV_CLIP_RECORDING');

    await sleep(2500);
    const tStop = Date.now();
    const stopped = await json(await api(`/clips/${encodeURIComponent(clip.id)}/stop`, { method: 'POST' }));
    assert.equal(stopped.status, 200);
    assert.ok(['processing', 'ready'].includes(stopped.body.status));
    const ready = await stream.waitFor((e) => e.event === 'clip' && e.data.id === clip.id && e.data.status === 'ready');
    console.log(`    stop → ready on SSE: ${Date.now() - tStop} ms`);
    assert.ok(ready.data.duration > 1.5 && ready.data.duration < 4, `duration ${ready.data.duration}`);
    assert.ok(ready.data.size > 1000);
    assert.equal(ready.data.name, '첫 클립 <b>');
    const statuses = stream.events.filter((e) => e.event === 'clip' && e.data.id === clip.id).map((e) => e.data.status);
    assert.deepEqual(statuses, ['recording', 'processing', 'ready']);
    const ids = stream.events.map((e) => Number(e.id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'event ids increase',
    );
    await p.waitForEvent({ type: 'signal', signalType: 'signal:ov-clip', data: JSON.stringify(ready.data) }).catch(async () => {
      const readySignal = (await p.log()).find((e) => e.type === 'signal' && JSON.parse(e.data as string).status === 'ready');
      assert.ok(readySignal, 'participants get the ready clip as a signal');
    });

    // Stopping again answers the same clip.
    const again = await json(await api(`/clips/${encodeURIComponent(clip.id)}/stop`, { method: 'POST' }));
    assert.equal(again.status, 200);
    assert.equal(again.body.status, 'ready');

    // The media: whole, then a Range.
    const full = await api(`/clips/${encodeURIComponent(clip.id)}/media`);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get('content-type'), 'video/mp4');
    assert.equal(full.headers.get('accept-ranges'), 'bytes');
    const bytes = Buffer.from(await full.arrayBuffer());
    assert.equal(bytes.length, ready.data.size);
    const part = await api(`/clips/${encodeURIComponent(clip.id)}/media`, { headers: { Range: 'bytes=100-1099' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-1099/${bytes.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 1100));
    // Several ranges, or a malformed one, are ignored: the whole file.
    for (const range of ['bytes=0-1,3-4', 'items=0-1', 'bytes=abc']) {
      const whole = await api(`/clips/${encodeURIComponent(clip.id)}/media`, { headers: { Range: range } });
      assert.equal(whole.status, 200, range);
      assert.equal(Buffer.from(await whole.arrayBuffer()).length, bytes.length);
    }
    const file = path.join(server.dataDir, 'downloaded.mp4');
    await writeFile(file, bytes);
    const info = await probe(file);
    assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);

    await assertJpeg(await api(`/clips/${encodeURIComponent(clip.id)}/thumbnail`));

    // A second clip in a row; the list is newest first.
    const second = (await json(await api(`/sessions/${room}/clips`, { method: 'POST' }))).body;
    assert.equal(second.id, `${room}~1`);
    assert.equal(second.name, '');
    await sleep(1200);
    await api(`/clips/${encodeURIComponent(second.id)}/stop`, { method: 'POST' });
    await stream.waitFor((e) => e.event === 'clip' && e.data.id === second.id && e.data.status === 'ready');
    const list = await json(await api(`/sessions/${room}/clips`));
    assert.deepEqual(
      list.body.clips.map((c: any) => c.id),
      [second.id, clip.id],
    );

    // Delete: gone for everyone.
    const del = await api(`/clips/${encodeURIComponent(clip.id)}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    const deleted = await stream.waitFor((e) => e.event === 'clip-deleted');
    assert.deepEqual(deleted.data, { id: clip.id, sessionId: room });
    await p.waitForEvent({ type: 'signal', signalType: 'signal:ov-clip-deleted' });
    const gone = await json(await api(`/clips/${encodeURIComponent(clip.id)}`));
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'OV_CLIP_NOT_FOUND');
    assert.deepEqual(
      (await json(await api(`/sessions/${room}/clips`))).body.clips.map((c: any) => c.id),
      [second.id],
    );

    // Resuming with Last-Event-ID replays what came after it.
    const firstId = stream.events[0].id!;
    const resumed = events(room, { 'Last-Event-ID': firstId });
    await resumed.waitFor((e) => e.event === 'clip-deleted');
    assert.deepEqual(
      resumed.events.map((e) => e.id),
      stream.events.slice(1).map((e) => e.id),
    );
    const stale = events(room, { 'Last-Event-ID': '1' });
    await stale.waitFor((e) => e.event === 'resync');
    await p.close();
  });

  it('nobody live → 409 OV_SESSION_NOT_LIVE; unknown clip → 404', async () => {
    const r = await json(await api('/sessions/empty-room/clips', { method: 'POST', json: {} }));
    assert.equal(r.status, 409);
    assert.equal(r.body.code, 'OV_SESSION_NOT_LIVE');
    const s = await json(await api('/clips/no-such-room~7/stop', { method: 'POST' }));
    assert.equal(s.status, 404);
    assert.equal(s.body.code, 'OV_CLIP_NOT_FOUND');
    const m = await json(await api('/clips/no-such-room/media'));
    assert.equal(m.status, 404);
    assert.deepEqual(Object.keys(m.body).sort(), ['code', 'error', 'message', 'statusCode']);
  });
});
