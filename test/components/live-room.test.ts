import { elementUpdated, expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import type { OvLiveRoom } from '../../components/live-room/live-room.js';
import type { OvErrorEvent } from '../../components/events/ov-error.js';
import { FakeLiveRoom, FakeRoom, participant, stream } from './fakes.js';

const okToken = async () => 'tok';
const $ = (el: Element, sel: string) => el.shadowRoot!.querySelector(sel) as HTMLElement | null;
const part = (el: Element, name: string) => $(el, `[part~="${name}"]`);

async function room(tpl = html`<fake-live-room session="demo" name="Ann" .tokenProvider=${okToken}></fake-live-room>`) {
  return fixture<OvLiveRoom>(tpl);
}

async function liveRoom() {
  const el = await room();
  await el.join();
  await elementUpdated(el);
  return { el, fake: FakeLiveRoom.last! };
}

function withDisplayMedia(present: boolean, mobile: boolean) {
  const md = navigator.mediaDevices as unknown as Record<string, unknown>;
  Object.defineProperty(md, 'getDisplayMedia', { value: present ? async () => new MediaStream() : undefined, configurable: true });
  Object.defineProperty(navigator, 'userAgentData', { value: { mobile }, configurable: true });
  return () => {
    delete md.getDisplayMedia;
    delete (navigator as unknown as Record<string, unknown>).userAgentData;
  };
}

afterEach(() => {
  FakeLiveRoom.setup = undefined;
});

describe('<ov-live-room>', () => {
  it('pre-join: shows the name and a Join button, and is accessible', async () => {
    const el = await room();
    expect(el.state).to.equal('idle');
    expect(part(el, 'pre-join')!.textContent).to.contain('Ann');
    expect(part(el, 'join-button')!.textContent!.trim()).to.equal('Join');
    await expect(el).to.be.accessible();
  });

  it('joining: spinner and aria-busy, accessible', async () => {
    let open!: () => void;
    FakeLiveRoom.setup = (r) => (r.joinGate = new Promise((res) => (open = res)));
    const el = await room();
    const joined = el.join();
    await elementUpdated(el);
    expect(el.state).to.equal('joining');
    expect(part(el, 'spinner')).to.exist;
    expect(part(el, 'base')!.getAttribute('aria-busy')).to.equal('true');
    await expect(el).to.be.accessible();
    open();
    await joined;
    expect(el.state).to.equal('live');
  });

  it('clicking Join joins with the attributes and fires ov-state-change and ov-joined', async () => {
    const el = await room(html`<fake-live-room session="demo" name="Ann" no-audio .tokenProvider=${okToken}></fake-live-room>`);
    const states: string[] = [];
    el.addEventListener('ov-state-change', (e) => states.push(e.detail.state));
    setTimeout(() => part(el, 'join-button')!.click());
    const ev = await oneEvent(el, 'ov-joined');
    expect(ev.detail).to.deep.equal({ connectionId: 'me', session: 'demo' });
    expect(ev.bubbles && ev.composed).to.equal(true);
    expect(FakeLiveRoom.last!.joinOptions).to.deep.include({ session: 'demo', name: 'Ann', role: 'publisher', audio: false, video: true });
    expect(states).to.deep.equal(['joining', 'live']);
  });

  it('live: local + remote tiles with names, toolbar, accessible', async () => {
    const { el, fake } = await liveRoom();
    const remote = participant('bob', 'Bob');
    remote.streams[0].audioActive = false;
    remote.speaking = true;
    fake.setParticipants([...fake.participants, remote]);
    await elementUpdated(el);
    const tiles = el.shadowRoot!.querySelectorAll('ov-video-tile');
    expect(tiles.length).to.equal(2);
    const bob = tiles[1];
    await (bob as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    expect(bob.shadowRoot!.querySelector('[part="name"]')!.textContent).to.equal('Bob');
    expect(bob.shadowRoot!.querySelector('[data-state="mic-off"]')).to.exist;
    expect(bob.shadowRoot!.querySelector('.speaking')).to.exist;
    expect(part(el, 'mic-button')!.getAttribute('aria-pressed')).to.equal('true');
    await expect(el).to.be.accessible();
  });

  it('watch-only participants are counted ("3 watching", part `watching`), not tiled; a publisher without a stream keeps its tile', async () => {
    const { el, fake } = await liveRoom();
    expect(part(el, 'watching')).to.equal(null);
    const watcher = (id: string) => ({ ...participant(id, id, false, []), role: 'subscriber' as const });
    fake.setParticipants([...fake.participants, watcher('w1')]);
    await elementUpdated(el);
    expect(part(el, 'watching')!.textContent!.trim()).to.equal('1 watching');
    fake.setParticipants([...fake.participants, watcher('w2'), watcher('w3'), participant('pub', 'Pat', false, [])]);
    await elementUpdated(el);
    expect(part(el, 'watching')!.textContent!.trim()).to.equal('3 watching');
    expect(el.watching).to.equal(3);
    const names = [...el.shadowRoot!.querySelectorAll('ov-video-tile')].map((t) => (t as unknown as { name: string }).name);
    expect(names).to.deep.equal(['Ann (You)', 'Pat']);
    el.lang = 'ko';
    await elementUpdated(el);
    expect(part(el, 'watching')!.textContent!.trim()).to.equal('3명 시청 중');
    el.strings = { watchingCount: '{count} viewers' };
    el.lang = 'en';
    await elementUpdated(el);
    expect(part(el, 'watching')!.textContent!.trim()).to.equal('3 viewers');
    await expect(el).to.be.accessible();
  });

  it('binds a MediaStream to the tile video', async () => {
    const { el, fake } = await liveRoom();
    const ms = new MediaStream();
    fake.setParticipants([participant('me', 'Ann', true, [stream('s', 'camera', true, ms)])]);
    await elementUpdated(el);
    const tile = el.shadowRoot!.querySelector('ov-video-tile')!;
    await (tile as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    const v = tile.shadowRoot!.querySelector('video')!;
    expect(v.srcObject).to.equal(ms);
    expect(v.muted).to.equal(true);
  });

  it('renders a name like <img src=x onerror=alert(1)> as text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const { el, fake } = await liveRoom();
    fake.setParticipants([...fake.participants, participant('x', evil)]);
    await elementUpdated(el);
    const tile = el.shadowRoot!.querySelectorAll('ov-video-tile')[1];
    await (tile as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    expect(tile.shadowRoot!.querySelector('img')).to.equal(null);
    expect(tile.shadowRoot!.querySelector('[part="name"]')!.textContent).to.equal(evil);
    const pre = await room(html`<fake-live-room session="demo" name=${evil}></fake-live-room>`);
    expect(pre.shadowRoot!.querySelector('img')).to.equal(null);
    expect(part(pre, 'pre-join')!.textContent).to.contain(evil);
  });

  it('mic and camera toggles call the controller and update aria-pressed', async () => {
    const { el, fake } = await liveRoom();
    part(el, 'mic-button')!.click();
    part(el, 'camera-button')!.click();
    await elementUpdated(el);
    expect(fake.calls).to.include.members(['audio:false', 'video:false']);
    expect(part(el, 'mic-button')!.getAttribute('aria-pressed')).to.equal('false');
    expect(part(el, 'camera-button')!.getAttribute('aria-pressed')).to.equal('false');
  });

  it('toggle buttons keep fixed accessible names; aria-pressed carries their state', async () => {
    const restore = withDisplayMedia(true, false);
    try {
      const { el } = await liveRoom();
      const names = () => ['mic-button', 'camera-button', 'screen-button', 'clip-button'].map((n) => part(el, n)!.getAttribute('aria-label'));
      const pressed = () => ['mic-button', 'camera-button', 'clip-button'].map((n) => part(el, n)!.getAttribute('aria-pressed'));
      expect(names()).to.deep.equal(['Microphone', 'Camera', 'Share screen', 'Record clip']);
      expect(pressed()).to.deep.equal(['true', 'true', 'false']);
      part(el, 'mic-button')!.click();
      part(el, 'camera-button')!.click();
      await el.startClip();
      await elementUpdated(el);
      expect(names()).to.deep.equal(['Microphone', 'Camera', 'Share screen', 'Record clip']);
      expect(pressed()).to.deep.equal(['false', 'false', 'true']);
      expect(part(el, 'mic-button')!.title).to.equal('Turn microphone on');
      el.lang = 'ko';
      await elementUpdated(el);
      expect(names()).to.deep.equal(['마이크', '카메라', '화면 공유', '클립 녹화']);
    } finally {
      restore();
    }
  });

  it('participant-role="subscriber" joins watch-only and leaves the host without an ARIA role', async () => {
    const el = await room(html`<fake-live-room session="demo" participant-role="subscriber" .tokenProvider=${okToken}></fake-live-room>`);
    await el.join();
    await elementUpdated(el);
    expect(FakeLiveRoom.last!.joinOptions!.role).to.equal('subscriber');
    expect(part(el, 'mic-button')).to.equal(null);
    expect(el.hasAttribute('role')).to.equal(false);
    await expect(el).to.be.accessible();
    // participant-role wins over the deprecated role
    const both = await room(html`<fake-live-room session="demo" role="subscriber" participant-role="publisher" .tokenProvider=${okToken}></fake-live-room>`);
    await both.join();
    expect(FakeLiveRoom.last!.joinOptions!.role).to.equal('publisher');
  });

  it('autojoin set as a property after the element is in the page joins (as React sets props)', async () => {
    const el = document.createElement('fake-live-room') as OvLiveRoom;
    (await fixture(html`<div></div>`)).append(el);
    await elementUpdated(el);
    expect(el.state).to.equal('idle');
    el.session = 'demo';
    el.tokenProvider = okToken;
    el.autojoin = true;
    await waitUntil(() => el.state === 'live', 'joins once autojoin is set');
    expect(FakeLiveRoom.last!.calls.filter((c) => c === 'join')).to.have.length(1);
  });

  it('leave() while joining: join() rejects with JOIN_CANCELLED, no ov-error and no error state', async () => {
    let open!: () => void;
    FakeLiveRoom.setup = (r) => (r.joinGate = new Promise((res) => (open = res)));
    const el = await room();
    const errors: unknown[] = [];
    el.addEventListener('ov-error', (e) => errors.push(e.detail));
    const joined = el.join();
    await elementUpdated(el);
    await el.leave();
    open();
    const outcome = await joined.then(
      () => 'resolved',
      (e: { code: string }) => e.code,
    );
    expect(outcome).to.equal('JOIN_CANCELLED');
    await elementUpdated(el);
    expect(errors).to.be.empty;
    expect(el.state).to.equal('left');
    expect(part(el, 'error')).to.equal(null);
  });

  it('screen share: present on desktop, works, fires events', async () => {
    const restore = withDisplayMedia(true, false);
    try {
      const { el, fake } = await liveRoom();
      const btn = part(el, 'screen-button')!;
      expect(btn).to.exist;
      setTimeout(() => btn.click());
      const ev = await oneEvent(el, 'ov-screen-share-started');
      expect(ev.detail.stream.kind).to.equal('screen');
      await elementUpdated(el);
      expect(part(el, 'screen-button')!.getAttribute('aria-pressed')).to.equal('true');
      setTimeout(() => part(el, 'screen-button')!.click());
      await oneEvent(el, 'ov-screen-share-stopped');
      expect(fake.calls).to.include.members(['screen:on', 'screen:off']);
    } finally {
      restore();
    }
  });

  it('screen share: absent on a mobile device, without getDisplayMedia, or with screen-share="off"; forced by "on"', async () => {
    let restore = withDisplayMedia(true, true);
    try {
      expect(part((await liveRoom()).el, 'screen-button')).to.equal(null);
    } finally {
      restore();
    }
    restore = withDisplayMedia(false, false);
    try {
      expect(part((await liveRoom()).el, 'screen-button')).to.equal(null);
      const on = await room(html`<fake-live-room session="demo" screen-share="on" .tokenProvider=${okToken}></fake-live-room>`);
      await on.join();
      await elementUpdated(on);
      expect(part(on, 'screen-button')).to.exist;
    } finally {
      restore();
    }
    const off = await room(html`<fake-live-room session="demo" screen-share="off" .tokenProvider=${okToken}></fake-live-room>`);
    await off.join();
    await elementUpdated(off);
    expect(part(off, 'screen-button')).to.equal(null);
  });

  it('clip: start/stop with elapsed mm:ss, recording indicator from recordingChange, events', async () => {
    const { el, fake } = await liveRoom();
    setTimeout(() => part(el, 'clip-button')!.click());
    const started = await oneEvent(el, 'ov-clip-started');
    expect(started.detail.clip.status).to.equal('recording');
    await elementUpdated(el);
    expect(part(el, 'clip-button')!.getAttribute('aria-pressed')).to.equal('true');
    expect(part(el, 'clip-clock')!.textContent).to.match(/01:0[5-6]/);
    expect(part(el, 'recording-indicator')!.textContent).to.contain('Recording');
    await expect(el).to.be.accessible();
    setTimeout(() => part(el, 'clip-button')!.click());
    await oneEvent(el, 'ov-clip-stopped');
    await elementUpdated(el);
    expect(part(el, 'recording-indicator')).to.equal(null);
    expect(fake.calls).to.include.members(["clip:start:Ann's clip", 'clip:stop']);
  });

  it('shows the recording indicator when someone else records', async () => {
    const { el, fake } = await liveRoom();
    fake.setRecording({ active: true, startedAt: Date.now() - 3000 });
    await elementUpdated(el);
    expect(part(el, 'recording-indicator')!.textContent).to.match(/00:0[3-4]/);
  });

  it('no-clips hides the clip control; role=subscriber hides publishing controls', async () => {
    const el = await room(html`<fake-live-room session="demo" no-clips .tokenProvider=${okToken}></fake-live-room>`);
    await el.join();
    await elementUpdated(el);
    expect(part(el, 'clip-button')).to.equal(null);
    const sub = document.createElement('fake-live-room') as OvLiveRoom;
    sub.session = 'demo';
    sub.role = 'subscriber';
    sub.tokenProvider = okToken;
    const host = await fixture(html`<div></div>`);
    host.append(sub);
    await sub.join();
    await elementUpdated(sub);
    expect(part(sub, 'mic-button')).to.equal(null);
    expect(part(sub, 'leave-button')).to.exist;
  });

  it('reconnecting: overlay, accessible', async () => {
    const { el, fake } = await liveRoom();
    fake.setState('reconnecting');
    await elementUpdated(el);
    expect(el.state).to.equal('reconnecting');
    expect(part(el, 'reconnecting')).to.exist;
    await expect(el).to.be.accessible();
    fake.setState('live');
    await elementUpdated(el);
    expect(part(el, 'reconnecting')).to.equal(null);
  });

  it('error: a failing token gives the error state, ov-error with a code, and Retry joins', async () => {
    let fail = true;
    const provider = async () => {
      if (fail) throw Object.assign(new Error('500'), { status: 500 });
      return 'tok';
    };
    const el = await room(html`<fake-live-room session="demo" .tokenProvider=${provider}></fake-live-room>`);
    setTimeout(() => el.join().catch(() => undefined));
    const err = (await oneEvent(el, 'ov-error')) as OvErrorEvent;
    expect(err.detail.code).to.equal('TOKEN_FAILED');
    expect(err.detail.status).to.equal(500);
    await elementUpdated(el);
    expect(el.state).to.equal('error');
    expect(part(el, 'error-message')!.textContent).to.not.equal('');
    await expect(el).to.be.accessible();
    fail = false;
    setTimeout(() => part(el, 'retry-button')!.click());
    await oneEvent(el, 'ov-joined');
    expect(el.state).to.equal('live');
  });

  it('validates the session id', async () => {
    const el = await room(html`<fake-live-room session="bad id!" .tokenProvider=${okToken}></fake-live-room>`);
    setTimeout(() => el.join().catch(() => undefined));
    const err = await oneEvent(el, 'ov-error');
    expect(err.detail.code).to.equal('INVALID_SESSION');
    await elementUpdated(el);
    expect(el.state).to.equal('error');
    expect(part(el, 'error-message')!.textContent).to.contain('room name is not valid');
    expect(part(el, 'retry-button')).to.exist;
  });

  it('token selection: tokenProvider > token > token-endpoint > api default', async () => {
    const seen: string[] = [];
    const realFetch = window.fetch;
    window.fetch = (async (url: string) => {
      seen.push(String(url));
      return new Response(JSON.stringify({ token: 'tok' }), { status: 201 });
    }) as typeof fetch;
    try {
      const a = await room(html`<fake-live-room session="s1" api="/x/api"></fake-live-room>`);
      await a.join();
      const b = await room(html`<fake-live-room session="s1" token-endpoint="/tok"></fake-live-room>`);
      await b.join();
      expect(seen).to.deep.equal(['/x/api/sessions/s1/token', '/tok']);
      const c = await room(html`<fake-live-room session="s1" token="lit" token-endpoint="/tok"></fake-live-room>`);
      await c.join();
      expect(await FakeLiveRoom.last!.options!.tokenProvider({ session: 's1', name: '', role: 'publisher' }).catch((e) => e.code)).to.equal('TOKEN_FAILED');
      const d = await room(html`<fake-live-room session="s1" token="lit" .tokenProvider=${async () => 'fn'}></fake-live-room>`);
      await d.join();
      expect(await FakeLiveRoom.last!.options!.tokenProvider({ session: 's1', name: '', role: 'publisher' })).to.equal('fn');
      expect(seen.length).to.equal(2);
    } finally {
      window.fetch = realFetch;
    }
  });

  it('leaves when removed from the DOM; re-adding does not rejoin unless autojoin', async () => {
    const { el, fake } = await liveRoom();
    const parent = el.parentNode!;
    el.remove();
    // A removal leaves once the element was not put back by the next frame (a move keeps the call).
    await waitUntil(() => fake.calls.includes('leave'), 'a removed room leaves');
    parent.appendChild(el);
    await elementUpdated(el);
    expect(fake.calls.filter((c) => c === 'join').length).to.equal(1);
    const auto = await room(html`<fake-live-room session="demo" autojoin .tokenProvider=${okToken}></fake-live-room>`);
    await waitUntil(() => auto.state === 'live', 'autojoin did not join');
    const first = FakeLiveRoom.last!;
    auto.remove();
    await waitUntil(() => first.calls.includes('leave'), 'a removed room leaves');
    document.body.appendChild(auto);
    await waitUntil(() => FakeLiveRoom.last !== first && auto.state === 'live', 'autojoin did not rejoin');
    auto.remove();
  });

  it('methods reject with NOT_CONNECTED before join and fire ov-error', async () => {
    const el = await room();
    setTimeout(() => el.startClip().catch(() => undefined));
    const err = await oneEvent(el, 'ov-error');
    expect(err.detail.code).to.equal('NOT_CONNECTED');
    const e = await el.captureSnapshot().catch((x) => x);
    expect(e.code).to.equal('NOT_CONNECTED');
  });

  it('leave() goes to left and fires ov-left; captureSnapshot delegates', async () => {
    const { el, fake } = await liveRoom();
    const blob = await el.captureSnapshot({ source: 'local' });
    expect(blob).to.equal(fake.snapshotBlob);
    setTimeout(() => part(el, 'leave-button')!.click());
    const ev = await oneEvent(el, 'ov-left');
    expect(ev.detail.reason).to.equal('disconnect');
    await elementUpdated(el);
    expect(el.state).to.equal('left');
    expect(part(el, 'join-button')).to.exist;
  });

  it('strings overrides and lang apply', async () => {
    const el = await room(html`<fake-live-room session="demo" .strings=${{ join: 'Enter' }}></fake-live-room>`);
    expect(part(el, 'join-button')!.textContent!.trim()).to.equal('Enter');
    const ko = await room(html`<fake-live-room session="demo" lang="ko"></fake-live-room>`);
    expect(part(ko, 'join-button')!.textContent!.trim()).to.equal('참여');
  });
});

// keep FakeRoom referenced for type-only import elision
export type { FakeRoom };
