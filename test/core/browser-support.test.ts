// browserSupport(): openvidu-browser 2.32's rules over real user agents, and the browser this test runs in.
import { expect } from '@open-wc/testing';
import { OpenVidu } from 'openvidu-browser';
import { browserSupport, missingApi, type BrowserEnv, type BrowserSupport } from '../../src/browser-support.js';

const APPLE = 'Apple Computer, Inc.';
const GOOGLE = 'Google Inc.';

/** [what, user agent, vendor, touch screen, expected] — every browser here has RTCPeerConnection and getUserMedia. */
const table: [string, string, string, boolean, Omit<BrowserSupport, 'reason'> & { reason?: string }][] = [
  [
    'desktop Chrome (Windows)',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    GOOGLE,
    false,
    { supported: true, browser: 'Chrome', version: 131, engine: 'Blink' },
  ],
  [
    'Chromium (Debian)',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
    GOOGLE,
    false,
    { supported: true, browser: 'Chrome', version: 156, engine: 'Blink' },
  ],
  [
    'headless Chromium',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
    GOOGLE,
    false,
    { supported: true, browser: 'Chrome', version: 156, engine: 'Blink' },
  ],
  [
    'Edge (Chromium, Windows)',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
    GOOGLE,
    false,
    { supported: true, browser: 'Edge', version: 131, engine: 'Blink' },
  ],
  [
    "Edge 79, below openvidu-browser's 80",
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.74 Safari/537.36 Edg/79.0.309.43',
    GOOGLE,
    false,
    { supported: false, browser: 'Edge', version: 79, engine: 'Blink', reason: 'browser' },
  ],
  [
    'Opera (Windows)',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
    GOOGLE,
    false,
    { supported: true, browser: 'Opera', version: 115, engine: 'Blink' },
  ],
  [
    'Firefox ESR (Linux)',
    'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0',
    '',
    false,
    { supported: true, browser: 'Firefox', version: 153, engine: 'Gecko' },
  ],
  [
    'Firefox (macOS)',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0',
    '',
    false,
    { supported: true, browser: 'Firefox', version: 133, engine: 'Gecko' },
  ],
  [
    'Safari (macOS)',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    APPLE,
    false,
    { supported: true, browser: 'Safari', version: 18, engine: 'WebKit' },
  ],
  [
    'Android Chrome',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    GOOGLE,
    true,
    { supported: true, browser: 'Chrome', version: 131, engine: 'Blink' },
  ],
  [
    'Android Firefox',
    'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0',
    '',
    true,
    { supported: true, browser: 'Firefox', version: 133, engine: 'Gecko' },
  ],
  [
    'Samsung Internet',
    'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
    GOOGLE,
    true,
    { supported: true, browser: 'Samsung Internet', version: 26, engine: 'Blink' },
  ],
  [
    'Android WebView',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240105.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.193 Mobile Safari/537.36',
    GOOGLE,
    true,
    { supported: true, browser: 'Android WebView', version: 120, engine: 'Blink' },
  ],
  [
    'Edge on Android',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0',
    GOOGLE,
    true,
    { supported: true, browser: 'Edge', version: 131, engine: 'Blink' },
  ],
  [
    'iOS Safari',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    APPLE,
    true,
    { supported: true, browser: 'Safari', version: 18, engine: 'WebKit' },
  ],
  [
    'iOS Chrome (CriOS)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
    APPLE,
    true,
    { supported: true, browser: 'Chrome', version: 131, engine: 'WebKit' },
  ],
  [
    'iOS Firefox (FxiOS)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15',
    APPLE,
    true,
    { supported: true, browser: 'Firefox', version: 133, engine: 'WebKit' },
  ],
  [
    'iOS Edge (EdgiOS)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 EdgiOS/131.2903.68 Mobile/15E148 Safari/605.1.15',
    APPLE,
    true,
    { supported: true, browser: 'Edge', version: 131, engine: 'WebKit' },
  ],
  [
    'an iOS app\'s WebView (no "Safari")',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
    APPLE,
    true,
    { supported: true, browser: 'Safari', version: undefined, engine: 'WebKit' },
  ],
  [
    'iPadOS posing as a Mac (touch screen)',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    APPLE,
    true,
    { supported: true, browser: 'Safari', version: 18, engine: 'WebKit' },
  ],
  [
    'iPadOS Chrome posing as a Mac',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Version/17.0 Safari/605.1.15',
    APPLE,
    true,
    { supported: true, browser: 'Chrome', version: 131, engine: 'WebKit' },
  ],
  [
    'an iPhone emulated by desktop Chrome (Google vendor): openvidu-browser refuses it',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    GOOGLE,
    true,
    { supported: false, browser: 'Safari', version: 18, engine: 'WebKit', reason: 'browser' },
  ],
  [
    'Electron',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) my-app/1.0.0 Chrome/130.0.6723.191 Electron/33.3.1 Safari/537.36',
    GOOGLE,
    false,
    { supported: true, browser: 'Electron', version: 33, engine: 'Blink' },
  ],
  [
    'Internet Explorer 11',
    'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko',
    '',
    false,
    { supported: false, browser: 'Internet Explorer', version: 11, engine: 'Trident', reason: 'browser' },
  ],
  [
    'Edge Legacy (EdgeHTML)',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045',
    '',
    false,
    { supported: false, browser: 'Edge', version: 18, engine: 'EdgeHTML', reason: 'browser' },
  ],
  [
    'Vivaldi: platform.js names it, so openvidu-browser refuses it',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Vivaldi/7.0.3495.18',
    GOOGLE,
    false,
    { supported: false, browser: 'Vivaldi', version: undefined, engine: 'Blink', reason: 'browser' },
  ],
  [
    'an old Ubuntu Chromium ("Chromium/"): refused the same way',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/79.0.3945.79 Chrome/79.0.3945.79 Safari/537.36',
    GOOGLE,
    false,
    { supported: false, browser: 'Chromium', version: undefined, engine: 'Blink', reason: 'browser' },
  ],
];

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
