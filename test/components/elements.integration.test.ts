// The three elements against the REAL reference server + embedded OpenVidu started by web-test-runner.config.mjs
// (same-origin /api proxy). No fakes: every room joins a real session with Chromium's fake camera and microphone.
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../components/index.js';
import type { OvClipList } from '../../components/clip-list/clip-list.js';
import type { OvLiveRoom } from '../../components/live-room/live-room.js';
import type { OvSnapshotButton } from '../../components/snapshot-button/snapshot-button.js';
import { endpointTokenProvider } from '../../src/token/token-provider.js';
import type { Snapshot } from '../../src/types.js';
import { realClick } from '../helpers/user-activation.js';

const api = (window as unknown as { OV_TEST_API?: string }).OV_TEST_API ?? '/api';

let seq = 0;
/** A session id nobody else uses (runs and tests do not share rooms). */
const uniqueSession = (tag: string) => `el-${tag}-${Date.now().toString(36)}-${(seq++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

function tiles(room: Element) {
  return [...room.shadowRoot!.querySelectorAll('ov-video-tile')];
}
function tileVideo(tile: Element) {
  return tile.shadowRoot!.querySelector('video')!;
}
function tileName(tile: Element) {
  return tile.shadowRoot!.querySelector('[part~="name"]')?.textContent?.trim() ?? '';
}
function localTile(room: Element) {
  return tiles(room).find((t) => / \(/.test(tileName(t)) && tileName(t).endsWith(')'));
}
const playing = (v: HTMLVideoElement) => v.readyState >= 2 && v.videoWidth > 0;
const playingCount = (room: Element) => tiles(room).filter((t) => playing(tileVideo(t))).length;

async function waitLive(room: OvLiveRoom, videos = 1) {
  await waitUntil(() => room.state === 'live', `room ${room.id} live (state: ${room.state})`, { timeout: 20_000 });
  await waitUntil(() => playingCount(room) >= videos, `room ${room.id} plays ${videos} video(s)`, { timeout: 20_000 });
}

/** Rooms created by a test, left afterwards whatever happens (a room still in the session would leak to the next). */
const rooms: OvLiveRoom[] = [];
afterEach(async () => {
  await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => undefined)));
});

describe('elements with the real server and OpenVidu', () => {
  it('a clip started and stopped in <ov-live-room> appears ready in <ov-clip-list> live, and plays', async () => {
    const session = uniqueSession('clip');
    const roomId = `room-${session}`;
    const wrap = await fixture(
      html`<div>
        <ov-live-room id=${roomId} session=${session} name="Ann" autojoin></ov-live-room>
        <ov-clip-list for=${roomId}></ov-clip-list>
      </div>`,
    );
    const room = wrap.querySelector('ov-live-room') as OvLiveRoom;
    const list = wrap.querySelector('ov-clip-list') as OvClipList;
    rooms.push(room);
    await waitLive(room);
    // The list is loaded (empty) before the clip exists: what follows must arrive live, not from the first load.
    await waitUntil(() => list.shadowRoot!.querySelector('[part~="empty"]'), 'the clip list shows its empty state', { timeout: 10_000 });

    const started = await room.startClip('Integration clip');
    expect(started.status).to.equal('recording');
    await new Promise((r) => setTimeout(r, 2500));
    await room.stopClip();

    const readyButton = () => list.shadowRoot!.querySelector<HTMLButtonElement>(`li[data-id="${CSS.escape(started.id)}"] button[part~="clip"]`);
    await waitUntil(
      () => readyButton() && list.shadowRoot!.querySelector(`li[data-id="${CSS.escape(started.id)}"] [part~="status-ready"]`),
      'the clip shows as ready in the list without reload',
      { timeout: 20_000 },
    );
    expect(list.shadowRoot!.querySelectorAll('li[part~="item"]').length).to.equal(1);
    expect(list.shadowRoot!.querySelector(`li[data-id="${CSS.escape(started.id)}"] [part~="name"]`)!.textContent).to.contain('Integration clip');

    const selected = oneEvent(list, 'ov-clip-select');
    // A real click, as a user's: the player plays with sound, which Firefox allows only after a user gesture.
    await realClick(readyButton()!);
    expect((await selected).detail.clip.id).to.equal(started.id);
    const player = list.shadowRoot!.querySelector('ov-media-player')!;
    const dialog = player.shadowRoot!.querySelector('dialog')!;
    const video = player.shadowRoot!.querySelector('video')!;
    await waitUntil(() => dialog.open, 'the player dialog opens', { timeout: 5_000 });
    await waitUntil(() => video.currentTime > 0.3 && !video.paused, `the clip plays (currentTime ${video.currentTime}, error ${video.error?.code})`, {
      timeout: 15_000,
    });
    expect(video.videoWidth).to.be.greaterThan(0);
  });

  it('<ov-snapshot-button for="room"> uploads a frame at the local track resolution, listed by the server', async () => {
    const session = uniqueSession('snap');
    const roomId = `room-${session}`;
    const wrap = await fixture(
      html`<div>
        <ov-live-room id=${roomId} session=${session} name="Ann" autojoin></ov-live-room>
        <ov-snapshot-button for=${roomId}></ov-snapshot-button>
      </div>`,
    );
    const room = wrap.querySelector('ov-live-room') as OvLiveRoom;
    const button = wrap.querySelector('ov-snapshot-button') as OvSnapshotButton;
    rooms.push(room);
    await waitLive(room);
    const ms = tileVideo(localTile(room)!).srcObject as MediaStream;
    const settings = ms.getVideoTracks()[0].getSettings();
    expect(settings.width, 'local track width').to.be.a('number');

    const shot = oneEvent(button, 'ov-snapshot');
    button.shadowRoot!.querySelector<HTMLButtonElement>('[part~="button"]')!.click();
    const { blob, snapshot } = (await shot).detail as { blob: Blob; snapshot?: Snapshot };
    expect(blob.size).to.be.greaterThan(0);
    expect(snapshot, 'uploaded snapshot').to.exist;
    expect(snapshot!.sessionId).to.equal(session);
    expect(snapshot!.width).to.equal(settings.width);
    expect(snapshot!.height).to.equal(settings.height);
    const bitmap = await createImageBitmap(blob);
    expect([bitmap.width, bitmap.height]).to.deep.equal([settings.width, settings.height]);

    const res = await fetch(`${api}/sessions/${session}/snapshots`);
    expect(res.status).to.equal(200);
    const { snapshots } = (await res.json()) as { snapshots: Snapshot[] };
    expect(snapshots.map((s) => s.id)).to.deep.equal([snapshot!.id]);
    expect(snapshots[0]).to.include({ width: settings.width, height: settings.height, contentType: 'image/jpeg' });
  });

  describe('a failing token endpoint shows the error state, fires TOKEN_FAILED, and Retry joins once it works', () => {
    async function failThenRetry(setup: (room: OvLiveRoom) => void, repair: (room: OvLiveRoom) => void, expectStatus?: number) {
      const session = uniqueSession('tok');
      const room = (await fixture(html`<ov-live-room session=${session} name="Ann"></ov-live-room>`)) as OvLiveRoom;
      rooms.push(room);
      setup(room);
      const errors: { code: string; status?: number; message: string }[] = [];
      room.addEventListener('ov-error', (e) => errors.push((e as CustomEvent).detail));
      const rejected = await room.join().then(
        () => undefined,
        (e: unknown) => e as { code?: string },
      );
      expect(rejected?.code, 'join() rejects with TOKEN_FAILED').to.equal('TOKEN_FAILED');
      expect(room.state).to.equal('error');
      expect(errors.length, 'one ov-error for one failed join').to.equal(1);
      expect(
        errors.every((e) => e.code === 'TOKEN_FAILED'),
        `codes: ${errors.map((e) => e.code)}`,
      ).to.equal(true);
      if (expectStatus !== undefined)
        expect(
          errors.every((e) => e.status === expectStatus),
          `statuses: ${errors.map((e) => e.status)}`,
        ).to.equal(true);
      const errorCount = errors.length;
      await room.updateComplete;
      const panel = room.shadowRoot!.querySelector('[part~="error"]')!;
      expect(panel, 'error panel').to.exist;
      expect(panel.getAttribute('role')).to.equal('alert');
      expect(room.shadowRoot!.querySelector('[part~="error-message"]')!.textContent!.trim()).to.not.equal('');
      expect(room.shadowRoot!.querySelector('[part~="grid"]')).to.equal(null);

      repair(room);
      room.shadowRoot!.querySelector<HTMLButtonElement>('[part~="retry-button"]')!.click();
      await waitLive(room);
      expect(room.shadowRoot!.querySelector('[part~="error"]')).to.equal(null);
      expect(errors.length, 'no further ov-error after Retry').to.equal(errorCount);
    }

    it('a token endpoint answering 500', async () => {
      await failThenRetry(
        (room) => (room.tokenEndpoint = '/__test/status/500'),
        (room) => (room.tokenEndpoint = ''),
        500,
      );
    });

    it('an HTTP error from the reference server (token-endpoint: its token route with an invalid session id → 400)', async () => {
      await failThenRetry(
        (room) => (room.tokenEndpoint = `${api}/sessions/not%20valid!/token`),
        (room) => (room.tokenEndpoint = ''),
        400,
      );
    });

    it('an HTTP error through a .tokenProvider (endpointTokenProvider on a same-origin URL answering 404)', async () => {
      await failThenRetry(
        (room) => (room.tokenProvider = endpointTokenProvider(`/__no-such-token-route/${Date.now()}`)),
        (room) => (room.tokenProvider = undefined),
        404,
      );
    });

    it('a network error (token-endpoint http://127.0.0.1:9/)', async () => {
      await failThenRetry(
        (room) => (room.tokenEndpoint = 'http://127.0.0.1:9/'),
        (room) => (room.tokenEndpoint = ''),
      );
    });

    it('malformed JSON (token-endpoint: a data: URL with text/html)', async () => {
      await failThenRetry(
        (room) => (room.tokenEndpoint = 'data:text/html,<!doctype html><p>not json</p>'),
        (room) => (room.tokenEndpoint = ''),
        200,
      );
    });
  });

  it('removing a joined room leaves the session (the other room sees it) and stops its local tracks', async () => {
    const session = uniqueSession('rm');
    const wrap = await fixture(
      html`<div>
        <ov-live-room id="a" session=${session} name="Ann" autojoin></ov-live-room>
        <ov-live-room id="b" session=${session} name="Bob" autojoin></ov-live-room>
      </div>`,
    );
    const [a, b] = [...wrap.querySelectorAll('ov-live-room')] as OvLiveRoom[];
    rooms.push(a, b);
    await waitLive(a, 2);
    await waitLive(b, 2);
    const tracks = (tileVideo(localTile(a)!).srcObject as MediaStream).getTracks();
    expect(tracks.map((t) => t.kind).sort()).to.deep.equal(['audio', 'video']);
    expect(tracks.every((t) => t.readyState === 'live')).to.equal(true);

    const left = oneEvent(b, 'ov-participant-left');
    a.remove();
    const { participant } = (await left).detail as { participant: { name: string } };
    expect(participant.name).to.equal('Ann');
    await waitUntil(() => tiles(b).length === 1, 'b shows only its own tile', { timeout: 10_000 });
    await waitUntil(() => tracks.every((t) => t.readyState === 'ended'), `every local track of a ended (${tracks.map((t) => `${t.kind}:${t.readyState}`)})`, {
      timeout: 5_000,
    });
    expect(a.state).to.not.equal('live');
  });

  it("turning the mic off in one room shows it muted on the other room's tile", async () => {
    const session = uniqueSession('mic');
    const wrap = await fixture(
      html`<div>
        <ov-live-room id="a" session=${session} name="Ann" autojoin></ov-live-room>
        <ov-live-room id="b" session=${session} name="Bob" autojoin></ov-live-room>
      </div>`,
    );
    const [a, b] = [...wrap.querySelectorAll('ov-live-room')] as OvLiveRoom[];
    rooms.push(a, b);
    await waitLive(a, 2);
    await waitLive(b, 2);
    const annOnB = () => tiles(b).find((t) => tileName(t) === 'Ann')!;
    const micOff = () => annOnB().shadowRoot!.querySelector('[part~="state"] [data-state="mic-off"]');
    expect(annOnB(), "Ann's tile in Bob's room").to.exist;
    expect(micOff(), 'mic shown on before').to.equal(null);

    const mic = a.shadowRoot!.querySelector<HTMLButtonElement>('[part~="mic-button"]')!;
    expect(mic.getAttribute('aria-pressed')).to.equal('true');
    mic.click();
    await waitUntil(() => micOff(), "Bob's room shows Ann's mic off", { timeout: 10_000 });
    expect(micOff()!.getAttribute('aria-label')).to.not.equal('');
    // Only the mic: Ann's video still plays on Bob's side, and Bob's own tile is not muted.
    expect(annOnB().shadowRoot!.querySelector('[data-state="camera-off"]')).to.equal(null);
    expect(localTile(b)!.shadowRoot!.querySelector('[data-state="mic-off"]')).to.equal(null);

    mic.click();
    await waitUntil(() => !micOff(), "Bob's room shows Ann's mic on again", { timeout: 10_000 });
  });

  it('a live room with real media is accessible', async () => {
    const session = uniqueSession('a11y');
    const room = (await fixture(html`<ov-live-room session=${session} name="Ann" autojoin></ov-live-room>`)) as OvLiveRoom;
    rooms.push(room);
    await waitLive(room);
    expect(room.state).to.equal('live');
    await expect(room).to.be.accessible();
  });
});
