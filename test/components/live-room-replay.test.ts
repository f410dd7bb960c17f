// <ov-live-room> and the replay buffer, on the real LiveRoom (behind its loader stand-in) with a fake openvidu-browser
// and a fake server: the indicator and the "Clip last N s" button follow the room's buffer for everyone, the button
// posts a replay clip, failures fire ov-error with the server's code, and a server with replay off is no error.
import { elementUpdated, expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { LazyRoom } from '../../components/internal/lazy-room.js';
import { OvLiveRoom } from '../../components/live-room/live-room.js';
import type { OvErrorEvent } from '../../components/events/ov-error.js';
import { OvReplayChangedEvent } from '../../components/events/ov-replay-changed.js';
import { LiveRoom } from '../../src/room/live-room.js';
import type { LiveRoomOptions } from '../../src/room/room-api.js';
import type { Replay } from '../../src/types.js';
import { fakeOpenVidu } from '../core/fake-openvidu.js';
import { answer, apiError, fakeServer, replayClip, replayOf } from '../core/fake-replay.js';

let ov = fakeOpenVidu();

/** `<replay-live-room>`: an OvLiveRoom whose LiveRoom (loaded through LazyRoom, as in a page) runs on `ov`. */
class ReplayLiveRoom extends OvLiveRoom {
  protected override createRoom(options: LiveRoomOptions) {
    const { OpenVidu } = ov;
    const Room = class extends LiveRoom {
      constructor(o: LiveRoomOptions) {
        super({ ...o, OpenVidu });
      }
    };
    return new LazyRoom(async () => Room, options);
  }
}
ReplayLiveRoom.define('replay-live-room');

const part = (el: Element, name: string) => el.shadowRoot!.querySelector(`[part~="${name}"]`) as HTMLElement | null;
const text = (el: HTMLElement | null) => el?.textContent?.replace(/\s+/g, ' ').trim();
/** Whether the indicator and the button are there (booleans: a failing deep-equal of elements would dump the DOM). */
const shown = (el: Element) => [!!part(el, 'replay-indicator'), !!part(el, 'replay-button')];

describe('<ov-live-room> replay', () => {
  let server: ReturnType<typeof fakeServer>;
  let infos: string[];
  const originalInfo = console.info;
  beforeEach(() => {
    ov = fakeOpenVidu();
    infos = [];
    console.info = (...a: unknown[]) => void infos.push(a.join(' '));
  });
  afterEach(() => {
    server?.restore();
    console.info = originalInfo;
  });

  /** A joined room on a server whose buffer answers `replay` (default: on), having read it. */
  async function live(routes: Parameters<typeof fakeServer>[0] = {}, tpl?: ReturnType<typeof html>) {
    server = fakeServer({ replay: () => answer(200, replayOf('on')), ...routes });
    const el = await fixture<OvLiveRoom>(tpl ?? html`<replay-live-room session="ses_A" name="Ann" .tokenProvider=${async () => 'tok'}></replay-live-room>`);
    const changes: (Replay | null)[] = [];
    const events: Event[] = [];
    const errors: OvErrorEvent['detail'][] = [];
    el.addEventListener('ov-replay-changed', (e) => changes.push(e.detail.replay) && events.push(e));
    el.addEventListener('ov-error', (e) => errors.push(e.detail));
    await el.join();
    await server.replayRead();
    await elementUpdated(el);
    /** A signal on the room's connection: the server's (no `from`) unless `from` is given. */
    const signal = async (data: unknown, from?: unknown) => {
      ov.sessions[0].emit('signal:ov-replay', { data: JSON.stringify(data), from });
      await elementUpdated(el);
    };
    return { el, changes, events, errors, signal };
  }

  it('reads the buffer once joined: the indicator (role status) and the button beside Record, accessible', async () => {
    const { el, changes, events } = await live();
    expect(server.replayCalls()).to.deep.equal(['GET /api/sessions/ses_A/replay']);
    const indicator = part(el, 'replay-indicator')!;
    expect(indicator.getAttribute('role')).to.equal('status');
    expect(text(indicator)).to.equal('Replay on: the last 30 s can be clipped');
    expect(indicator.querySelector('svg'), 'the dot').to.exist;
    expect(text(part(el, 'replay-button'))).to.equal('Clip last 30 s');
    const order = [...part(el, 'toolbar')!.querySelectorAll('button')].map((b) => b.getAttribute('part'));
    expect(order.filter((p) => !/screen/.test(p!))).to.deep.equal([
      'control mic-button',
      'control camera-button',
      'control clip-button',
      'control replay-button',
      'control leave-button',
    ]);
    expect(changes).to.deep.equal([replayOf('on')]);
    const [ev] = events;
    expect([ev instanceof OvReplayChangedEvent, ev.bubbles, ev.composed, ev.target === el]).to.deep.equal([true, true, true, true]);
    await expect(el).to.be.accessible();
  });

  it("follows the server's signals: shown only while `on`, with its seconds; ov-replay-changed each time, null after leave", async () => {
    const { el, changes, signal } = await live({ replay: () => answer(200, replayOf('off')) });
    expect(shown(el)).to.deep.equal([false, false]);
    await signal(replayOf('starting', { held: 0 }));
    expect(shown(el)).to.deep.equal([false, false]);
    await signal(replayOf('on', { seconds: 60 }));
    expect(text(part(el, 'replay-indicator'))).to.equal('Replay on: the last 60 s can be clipped');
    expect(text(part(el, 'replay-button'))).to.equal('Clip last 60 s');
    await signal(replayOf('off', { held: 0 }));
    expect(shown(el)).to.deep.equal([false, false]);
    await el.leave();
    expect(changes.map((r) => r?.state ?? null)).to.deep.equal(['off', 'starting', 'on', 'off', null]);
  });

  it("a participant's forged `ov-replay` signal shows nothing, nor hides the server's", async () => {
    const { el, changes, signal } = await live({ replay: () => answer(200, replayOf('off')) });
    await signal(replayOf('on'), { connectionId: 'con_mallory', data: '' });
    expect(!!part(el, 'replay-indicator'), 'replay-indicator').to.equal(false);
    await signal(replayOf('on'));
    await signal(replayOf('off'), { connectionId: 'con_mallory', data: '' });
    expect(!!part(el, 'replay-indicator'), 'replay-indicator').to.equal(true);
    expect(changes.map((r) => r!.state)).to.deep.equal(['off', 'on']);
  });

  it('clicking the button posts {replaySeconds, name}: busy meanwhile, then the clip is ready', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { el } = await live({
      clip: async () => {
        await gate;
        return answer(201, replayClip());
      },
    });
    const ready = oneEvent(el, 'ov-clip-ready');
    part(el, 'replay-button')!.click();
    await elementUpdated(el);
    expect((part(el, 'replay-button') as HTMLButtonElement).disabled, 'busy while the clip is made').to.equal(true);
    expect((part(el, 'clip-button') as HTMLButtonElement).disabled).to.equal(true);
    expect(server.clipPosts().map((c) => [c.url, c.body])).to.deep.equal([['/api/sessions/ses_A/clips', { replaySeconds: 30, name: "Ann's clip" }]]);
    release();
    expect((await ready).detail.clip).to.deep.equal(replayClip());
    await waitUntil(() => !(part(el, 'replay-button') as HTMLButtonElement).disabled, 'the button is enabled again once the call ends');
  });

  it("a failure fires ov-error with the server's code; the room stays live", async () => {
    const { el, errors } = await live({ clip: () => apiError(409, 'REPLAY_EMPTY', 'Nothing is held yet') });
    const failed = oneEvent(el, 'ov-error');
    part(el, 'replay-button')!.click();
    const { detail } = (await failed) as OvErrorEvent;
    expect([detail.code, detail.status]).to.deep.equal(['REPLAY_EMPTY', 409]);
    expect(detail.message).to.contain('Nothing is held yet');
    expect(errors).to.have.length(1);
    await elementUpdated(el);
    expect(el.state).to.equal('live');
    expect(!!part(el, 'error'), 'error').to.equal(false);
  });

  it('clipReplay(seconds): the seconds asked for; NOT_CONNECTED before joining', async () => {
    server = fakeServer();
    const idle = await fixture<OvLiveRoom>(html`<replay-live-room session="ses_A"></replay-live-room>`);
    const early = await idle.clipReplay().catch((e: { code: string }) => e.code);
    expect(early).to.equal('NOT_CONNECTED');
    server.restore();
    const { el } = await live();
    expect(await el.clipReplay(10)).to.deep.equal(replayClip());
    expect(server.clipPosts().map((c) => c.body)).to.deep.equal([{ replaySeconds: 10, name: "Ann's clip" }]);
  });

  it('no-clips hides the button, not the indicator', async () => {
    const { el } = await live({}, html`<replay-live-room session="ses_A" no-clips .tokenProvider=${async () => 'tok'}></replay-live-room>`);
    expect(!!part(el, 'replay-indicator'), 'replay-indicator').to.equal(true);
    expect(!!part(el, 'replay-button'), 'replay-button').to.equal(false);
  });

  it('the `replay` attribute asks for a buffer (POST), shown as soon as it is on', async () => {
    const { el } = await live(
      { replay: () => answer(200, replayOf('on')) },
      html`<replay-live-room session="ses_A" replay .tokenProvider=${async () => 'tok'}></replay-live-room>`,
    );
    expect(server.replayCalls()).to.deep.equal(['POST /api/sessions/ses_A/replay']);
    expect(!!part(el, 'replay-indicator'), 'replay-indicator').to.equal(true);
  });

  it('a server with replay off (409 REPLAY_OFF): no error state, no ov-error, no button, one console hint', async () => {
    const tpl = html`<replay-live-room session="ses_A" .replay=${true} .tokenProvider=${async () => 'tok'}></replay-live-room>`;
    const { el, errors, changes } = await live({ replay: () => apiError(409, 'REPLAY_OFF', 'Replay is off on this server') }, tpl);
    expect(server.replayCalls()).to.deep.equal(['POST /api/sessions/ses_A/replay']);
    expect([el.state, errors.length, changes.length]).to.deep.equal(['live', 0, 0]);
    expect([...shown(el), !!part(el, 'error')]).to.deep.equal([false, false, false]);
    expect(infos).to.have.length(1);
    expect(infos[0]).to.contain('Replay is off on this server');
  });

  it('in Korean', async () => {
    const { el } = await live({}, html`<replay-live-room lang="ko" session="ses_A" .tokenProvider=${async () => 'tok'}></replay-live-room>`);
    expect(text(part(el, 'replay-indicator'))).to.equal('다시보기 켜짐: 최근 30초를 클립으로 만들 수 있어요');
    expect(text(part(el, 'replay-button'))).to.equal('최근 30초 클립');
  });

  it('on a phone (320 px): the indicator and every toolbar button stay inside the room', async () => {
    const wrap = await fixture<HTMLDivElement>(
      html`<div style="width: 320px"><replay-live-room session="ses_A" name="Ann" .tokenProvider=${async () => 'tok'}></replay-live-room></div>`,
    );
    server = fakeServer({ replay: () => answer(200, replayOf('on', { seconds: 600 })) });
    const el = wrap.querySelector('replay-live-room') as OvLiveRoom;
    await el.join();
    await server.replayRead();
    await elementUpdated(el);
    const room = part(el, 'base')!.getBoundingClientRect();
    for (const box of [part(el, 'replay-indicator')!, ...part(el, 'toolbar')!.querySelectorAll('button')].map((b) => b.getBoundingClientRect())) {
      expect(box.left >= room.left && box.right <= room.right + 0.5, `${box.left}–${box.right} inside ${room.left}–${room.right}`).to.equal(true);
    }
  });
});
