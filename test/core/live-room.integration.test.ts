// LiveRoom with the real openvidu-browser against the reference server + embedded OpenVidu (started by
// web-test-runner.config.mjs; `window.OV_TEST_API` is its same-origin /api).
import { expect } from '@open-wc/testing';
import { LiveRoom } from '../../src/room/live-room.js';
import { endpointTokenProvider } from '../../src/token/token-provider.js';
import { uploadSnapshot } from '../../src/snapshot/snapshot.js';
import type { LiveRoomEvents } from '../../src/room/room-api.js';
import type { ParticipantInfo } from '../../src/types.js';
import { until } from '../helpers/until.js';
import { canCaptureScreen, realClick } from '../helpers/user-activation.js';

const API = (window as unknown as { OV_TEST_API: string }).OV_TEST_API;
let n = 0;
const newSession = () => `core-${Date.now().toString(36)}-${++n}`;

function room(session: string) {
  return new LiveRoom({ api: API, tokenProvider: endpointTokenProvider(`${API}/sessions/${session}/token`) });
}

function next<K extends keyof LiveRoomEvents>(
  r: LiveRoom,
  event: K,
  pred: (e: LiveRoomEvents[K]) => boolean = () => true,
  ms = 20_000,
): Promise<LiveRoomEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, ms);
    const off = r.on(event, (e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

const remoteOf = (r: LiveRoom, name: string): ParticipantInfo | undefined => r.participants.find((p) => !p.isLocal && p.name === name);

/** Resolves once a frame of the track's video is presented. */
async function framePlays(ms: MediaStream) {
  const v = document.createElement('video');
  v.muted = true;
  v.srcObject = ms;
  await v.play();
  await new Promise<void>((resolve) => v.requestVideoFrameCallback(() => resolve()));
  const size = { w: v.videoWidth, h: v.videoHeight };
  v.srcObject = null;
  return size;
}

describe('LiveRoom (integration, real openvidu-browser + embedded OpenVidu)', function (this: { timeout(ms: number): void }) {
  this.timeout(60_000);
  let rooms: LiveRoom[] = [];
  afterEach(async () => {
    await Promise.all(rooms.map((r) => r.leave()));
    rooms = [];
  });

  async function pair() {
    const session = newSession();
    const a = room(session);
    const b = room(session);
    rooms.push(a, b);
    await a.join({ session, name: 'Alice' });
    await b.join({ session, name: 'Bob' });
    return { session, a, b };
  }

  it("two rooms join one session and each gets the other's live video", async () => {
    const states: string[] = [];
    const session = newSession();
    const a = room(session);
    const b = room(session);
    rooms.push(a, b);
    a.on('stateChange', (e) => states.push(e.state));
    await a.join({ session, name: 'Alice' });
    await b.join({ session, name: 'Bob' });
    expect(states).to.deep.equal(['joining', 'live']);
    expect(a.local?.name).to.equal('Alice');
    const bobSeen = await until(() => remoteOf(a, 'Bob')?.streams[0]?.mediaStream && remoteOf(a, 'Bob'), 'Alice sees Bob');
    const aliceSeen = await until(() => remoteOf(b, 'Alice')?.streams[0]?.mediaStream && remoteOf(b, 'Alice'), 'Bob sees Alice');
    for (const p of [bobSeen, aliceSeen]) {
      const track = p.streams[0].mediaStream!.getVideoTracks()[0];
      expect(track.readyState).to.equal('live');
      expect(p.streams[0].kind).to.equal('camera');
      const size = await framePlays(p.streams[0].mediaStream!);
      expect(size.w).to.be.greaterThan(0);
    }
  });

  it('a muted microphone shows as muted on the other room; joining with video:false is muted', async () => {
    const { a, b } = await pair();
    await until(() => remoteOf(b, 'Alice')?.streams[0], "Bob sees Alice's stream");
    a.setAudio(false);
    await until(() => remoteOf(b, 'Alice')?.streams[0].audioActive === false, "Alice muted on Bob's side");
    a.setAudio(true);
    await until(() => remoteOf(b, 'Alice')?.streams[0].audioActive === true, "Alice unmuted on Bob's side");
    const c = room(a.session!);
    rooms.push(c);
    await c.join({ session: a.session!, name: 'Carol', video: false });
    const carol = await until(() => remoteOf(a, 'Carol')?.streams[0], 'Alice sees Carol');
    expect(carol.videoActive).to.equal(false);
    expect(carol.audioActive).to.equal(true);
  });

  it('a clip started and stopped: both rooms see the recording and clipReady through signals', async () => {
    const { a, b } = await pair();
    await until(() => remoteOf(a, 'Bob')?.streams[0]?.mediaStream, 'media flows');
    const bStarted = next(b, 'recordingChange', (e) => e.recording);
    const clip = await a.startClip('Hello 클립');
    expect(clip.status).to.equal('recording');
    expect((await bStarted).clip?.id).to.equal(clip.id);
    expect(b.recording.active).to.equal(true);

    // A late joiner learns about the running clip.
    const c = room(a.session!);
    rooms.push(c);
    const cStarted = next(c, 'recordingChange', (e) => e.recording);
    await c.join({ session: a.session!, name: 'Carol', role: 'subscriber' });
    expect((await cStarted).clip?.id).to.equal(clip.id);

    await new Promise((r) => setTimeout(r, 1500));
    const aReady = next(a, 'clipReady');
    const bReady = next(b, 'clipReady');
    const bStopped = next(b, 'recordingChange', (e) => !e.recording);
    await b.stopClip(); // anyone can stop the session's clip
    await bStopped;
    const [ra, rb] = await Promise.all([aReady, bReady]);
    expect(ra.clip.id).to.equal(clip.id);
    expect(rb.clip.status).to.equal('ready');
    expect(rb.clip.name).to.equal('Hello 클립');
    expect(a.recording.active).to.equal(false);
  });

  it('a screen share is a second connection, folded into its owner on every client', async function () {
    const { a, b } = await pair();
    // The real getDisplayMedia: headless Chromium picks the screen itself with
    // --auto-select-desktop-capture-source=Entire screen; Firefox shares the virtual screen web-test-runner.config.mjs
    // gives it, once a real click has given the page a user activation.
    if (!canCaptureScreen) this.skip(); // headless Firefox (no Xvfb): nothing to capture
    const session = a.session!;
    const s = room(session);
    rooms.push(s);
    await s.join({ session, name: 'Sharer' });
    const started = next(s, 'screenShareStarted');
    await realClick();
    await s.startScreenShare();
    expect((await started).stream.kind).to.equal('screen');
    expect(s.screenSharing).to.equal(true);
    expect(s.local!.streams.map((x) => x.kind)).to.deep.equal(['camera', 'screen']);
    for (const r of [a, b]) {
      const sharer = await until(() => {
        const p = remoteOf(r, 'Sharer');
        return p && p.streams.length === 2 && p.streams.every((x) => x.mediaStream) && p;
      }, 'camera + screen of Sharer');
      expect(sharer.streams.map((x) => x.kind)).to.deep.equal(['camera', 'screen']);
      expect(r.participants.filter((p) => p.name === 'Sharer')).to.have.length(1);
      expect(sharer.streams[1].mediaStream!.getVideoTracks()[0].readyState).to.equal('live');
    }
    // The browser's "Stop sharing" ends the track.
    const stopped = next(s, 'screenShareStopped');
    const screenTrack = s.local!.streams[1].mediaStream!.getVideoTracks()[0];
    expect(screenTrack.label).to.match(/screen|monitor/i); // Chromium: "screen:0:0"; Firefox: "Primary Monitor"

    // What the browser's button does: the track ends (stop() alone fires no `ended`, so it is dispatched too).
    // Firefox delivers a synthetic `ended` to `onended` only, never to listeners (its real one reaches both, but only
    // its own sharing UI fires it), so there the room is stopped through its API instead.
    screenTrack.stop();
    if (/Firefox\//.test(navigator.userAgent)) void s.stopScreenShare();
    else screenTrack.dispatchEvent(new Event('ended'));
    await stopped;
    expect(s.screenSharing).to.equal(false);
    await until(() => remoteOf(a, 'Sharer')?.streams.length === 1, "screen gone on Alice's side");
    expect(a.participants.filter((p) => p.name === 'Sharer')).to.have.length(1);
  });

  it('leave() ends every local track and both connections', async () => {
    const { a, b } = await pair();
    const canvas = Object.assign(document.createElement('canvas'), { width: 160, height: 120 });
    canvas.getContext('2d')!.fillRect(0, 0, 160, 120);
    const screen = canvas.captureStream(5);
    const s = new LiveRoom({ api: API, tokenProvider: endpointTokenProvider(`${API}/sessions/${a.session}/token`), getDisplayMedia: async () => screen });
    rooms.push(s);
    await s.join({ session: a.session!, name: 'Leaver' });
    await s.startScreenShare();
    const tracks = s.local!.streams.flatMap((x) => x.mediaStream!.getTracks());
    expect(tracks.length).to.be.greaterThanOrEqual(3);
    await until(() => remoteOf(b, 'Leaver')?.streams.length === 2, 'Bob sees camera + screen');
    const left = next(b, 'participantLeft', (e) => e.participant.name === 'Leaver');
    await s.leave();
    expect(s.state).to.equal('left');
    for (const t of tracks) expect(t.readyState, `${t.kind} track`).to.equal('ended');
    await left;
    await until(() => !remoteOf(a, 'Leaver'), "Leaver gone on Alice's side");
    await s.leave(); // twice is fine
  });

  it('captures a snapshot at native resolution and the server stores its size', async () => {
    const { a, session } = await pair();
    const blob = await a.captureSnapshot({ format: 'image/png' });
    expect(blob.type).to.equal('image/png');
    const ms = a.local!.streams[0].mediaStream!;
    const settings = ms.getVideoTracks()[0].getSettings();
    const snap = await uploadSnapshot(API, session, blob, { name: 'me', streamId: a.local!.streams[0].streamId });
    expect(snap.width).to.equal(settings.width);
    expect(snap.height).to.equal(settings.height);
    expect(snap.contentType).to.equal('image/png');
    const remote = await until(() => a.streamFor('active')?.isLocal === false && a.streamFor('active'), 'remote for active');
    const jpeg = await a.captureSnapshot({ source: remote.streamId, format: 'image/jpeg' });
    expect(jpeg.type).to.equal('image/jpeg');
  });

  it('a failing token endpoint gives the error state and TOKEN_FAILED with the status', async () => {
    const r = new LiveRoom({ api: API, tokenProvider: endpointTokenProvider(`${API}/sessions/bad id!/token`) });
    rooms.push(r);
    const errors: string[] = [];
    r.on('error', (e) => errors.push(e.error.code));
    const err = await r.join({ session: 'x', name: 'X' }).then(
      () => null,
      (e: unknown) => e as { code: string; status: number },
    );
    expect(err?.code).to.equal('TOKEN_FAILED');
    expect(err?.status).to.be.within(400, 499);
    expect(r.state).to.equal('error');
    expect(errors).to.deep.equal(['TOKEN_FAILED']);
  });
});
