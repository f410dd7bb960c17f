// browserSupport(): openvidu-browser 2.32's rules over real user agents, and the browser this test runs in.
import { expect } from '@open-wc/testing';
import { OpenVidu } from 'openvidu-browser';
import { browserSupport, missingApi, type BrowserEnv } from '../../src/browser-support.js';
import { APPLE, GOOGLE, USER_AGENTS as table } from '../helpers/user-agents.js';

const env = (userAgent: string, vendor: string, touch: boolean, more: Partial<BrowserEnv> = {}): BrowserEnv => ({
  userAgent,
  vendor,
  touch,
  hasRTCPeerConnection: true,
  hasGetUserMedia: true,
  ...more,
});

describe('browserSupport', () => {
  for (const [what, ua, vendor, touch, want] of table) {
    it(`${what} → ${want.supported ? 'supported' : `not supported (${want.reason})`}`, () => {
      expect(browserSupport(env(ua, vendor, touch))).to.deep.equal(want);
    });
  }

  it('the same Mac UA without a touch screen is macOS Safari, not iPadOS (and an iPhone UA without touch is still Safari on WebKit)', () => {
    const mac = table.find(([w]) => w.startsWith('iPadOS posing'))!;
    expect(browserSupport(env(mac[1], APPLE, false))).to.deep.include({ supported: true, browser: 'Safari', engine: 'WebKit' });
    // Without touch, openvidu-browser does not take the emulated iPhone for iOS: its general rule accepts Safari.
    const emulated = table.find(([w]) => w.startsWith('an iPhone emulated'))!;
    expect(browserSupport(env(emulated[1], GOOGLE, false)).supported).to.equal(true);
  });

  it('Edge on a phone needs 46+, on a desktop 80+', () => {
    const edgA = (v: number) => `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/77.0 Mobile Safari/537.36 EdgA/${v}.0.0.2057`;
    expect([45, 46].map((v) => browserSupport(env(edgA(v), GOOGLE, true)).supported)).to.deep.equal([false, true]);
    const edg = (v: number) => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0 Safari/537.36 Edg/${v}.0.0.1`;
    expect([79, 80].map((v) => browserSupport(env(edg(v), GOOGLE, false)).supported)).to.deep.equal([false, true]);
  });

  it('a supported user agent without RTCPeerConnection, or without getUserMedia, is not supported, and says which', () => {
    const chrome = table[0][1];
    expect(browserSupport(env(chrome, GOOGLE, false, { hasRTCPeerConnection: false }))).to.deep.equal({
      supported: false,
      browser: 'Chrome',
      version: 131,
      engine: 'Blink',
      reason: 'RTCPeerConnection',
    });
    expect(browserSupport(env(chrome, GOOGLE, false, { hasGetUserMedia: false }))).to.deep.include({ supported: false, reason: 'getUserMedia' });
    // A refused browser says `browser` first, whatever else it lacks.
    expect(
      browserSupport(env(table.find(([w]) => w === 'Internet Explorer 11')![1], '', false, { hasRTCPeerConnection: false, hasGetUserMedia: false })).reason,
    ).to.equal('browser');
    expect(missingApi({ hasRTCPeerConnection: true, hasGetUserMedia: false })).to.equal('getUserMedia');
    expect(missingApi({ hasRTCPeerConnection: false, hasGetUserMedia: true })).to.equal('RTCPeerConnection');
    expect(missingApi({ hasRTCPeerConnection: true, hasGetUserMedia: true })).to.equal(undefined);
  });

  it('this browser (Chromium or Firefox) is supported and named, as openvidu-browser itself says', () => {
    const ua = navigator.userAgent;
    // The engine from a feature, not the user agent: only Gecko knows -moz-appearance.
    const gecko = CSS.supports('-moz-appearance', 'none');
    const got = browserSupport();
    expect(got).to.deep.equal({
      supported: true,
      browser: /\bFirefox\//.test(ua) ? 'Firefox' : 'Chrome',
      version: Number(/(?:Firefox|Chrome)\/(\d+)/.exec(ua)![1]),
      engine: gecko ? 'Gecko' : 'Blink',
    });
    expect(got.browser).to.equal(gecko ? 'Firefox' : 'Chrome');
    expect(missingApi()).to.equal(undefined);
    // LiveRoom.join() asks openvidu-browser's own rule (and missingApi()): they agree here.
    expect(new OpenVidu().checkSystemRequirements()).to.equal(true);
  });
});
