// Against the reference server + embedded OpenVidu started by web-test-runner.config.mjs (same-origin /api proxy).
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../components/index.js';
import type { OvLiveRoom } from '../../components/live-room/live-room.js';

const api = (window as unknown as { OV_TEST_API?: string }).OV_TEST_API ?? '/api';

function videos(el: Element) {
  return [...el.shadowRoot!.querySelectorAll('ov-video-tile')].map((t) => t.shadowRoot!.querySelector('video')!);
}

describe('<ov-live-room> with the embedded OpenVidu', function () {
  it('two rooms in one page join the same session and each plays the other', async () => {
    const session = `it-${Date.now()}`;
    const wrap = await fixture(
      html`<div>
        <ov-live-room id="a" session=${session} api=${api} name="Ann"></ov-live-room>
        <ov-live-room id="b" session=${session} api=${api} name="Bob"></ov-live-room>
      </div>`,
    );
    const [a, b] = [...wrap.querySelectorAll('ov-live-room')] as OvLiveRoom[];
    try {
      await a.join();
      await b.join();
      const playing = (el: Element) => videos(el).filter((v) => v.readyState >= 2 && v.videoWidth > 0).length;
      await waitUntil(() => playing(a) === 2 && playing(b) === 2, 'both rooms show 2 playing videos', { timeout: 20_000 });
      expect(a.state).to.equal('live');
    } finally {
      await Promise.all([a.leave(), b.leave()]);
    }
    expect(a.state).to.equal('left');
  });
});
