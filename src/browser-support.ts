/**
 * Which browsers can join: the rules of openvidu-browser 2.32 (`OpenVidu.checkSystemRequirements` and its
 * `PlatformUtils`, which read the user agent through platform.js), plus what a room really needs, RTCPeerConnection
 * and getUserMedia. openvidu-browser checks only the user agent, and only inside `session.connect()`, after a token
 * was fetched. `LiveRoom.join()` checks before the token: openvidu-browser's own rule and `missingApi()`; the
 * user-agent table here is for pages that want to know without openvidu-browser (a banner, analytics), and agrees
 * with openvidu-browser's rule on every user agent of its test.
 */

/** What `browserSupport` looks at. */
export interface BrowserEnv {
  userAgent: string;
  /** `navigator.vendor`: `Apple Computer, Inc.` in Safari and every iOS browser. */
  vendor?: string;
  /** A touch screen (`'ontouchend' in document`, as openvidu-browser tests it): with a Mac user agent, an iPad. */
  touch?: boolean;
  hasRTCPeerConnection: boolean;
  hasGetUserMedia: boolean;
  /** `isSecureContext`: browsers hide getUserMedia on a page that is neither HTTPS nor localhost. */
  secure?: boolean;
}

export interface BrowserSupport {
  supported: boolean;
  /** `Chrome`, `Firefox`, `Safari`, `Edge`, `Opera`, `Samsung Internet`, `Electron`, `Android WebView`, `Internet Explorer`, another brand's token, or empty. */
  browser: string;
  /** Major version, when the user agent gives one. */
  version?: number;
  /** `Blink`, `Gecko`, `WebKit` (every iOS browser), `EdgeHTML`, `Trident`, or empty. */
  engine: string;
  /**
   * Why not: `browser` (openvidu-browser 2.32 refuses it), the API that is missing, or `secureContext` (no
   * getUserMedia because the page is neither HTTPS nor localhost). A watch-only participant needs no getUserMedia.
   */
  reason?: 'browser' | 'RTCPeerConnection' | 'getUserMedia' | 'secureContext';
}

// First match names the browser, in platform.js's order. The brands in the third row come before Chrome, Firefox
// and Safari there, so openvidu-browser refuses them even though they share those engines.
const BROWSERS: [string, RegExp][] = [
  ['Electron', /Electron\/(\d+)/],
  ['Edge', /\bEdg(?:e|A|iOS)?\/(\d+)/],
  ['Samsung Internet', /SamsungBrowser\/(\d+)/],
  ['', /\b(Vivaldi|YaBrowser|UCBrowser|Epiphany|Waterfox|PaleMoon|SeaMonkey|Maxthon|Opera Mini|OPiOS|Chromium)\b/],
  ['Opera', /\b(?:OPR|Opera)\/(\d+)/],
  ['Chrome', /(?:Chrome|CriOS|CrMo)\/(\d+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/(\d+)/],
  ['Internet Explorer', /(?:MSIE |Trident.*rv:)(\d+)/],
  ['Safari', /(?:Version\/(\d+).*)?Safari\//],
];
const SUPPORTED = ['Chrome', 'Firefox', 'Opera', 'Samsung Internet', 'Safari', 'Android WebView', 'Electron'];

function here(): BrowserEnv {
  return {
    userAgent: navigator.userAgent,
    vendor: navigator.vendor,
    touch: 'ontouchend' in document,
    hasRTCPeerConnection: typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function',
    hasGetUserMedia: typeof navigator.mediaDevices?.getUserMedia === 'function',
    secure: globalThis.isSecureContext,
  };
}

/** The API a room cannot do without that this browser lacks, if any (getUserMedia is needed to publish only). */
export function missingApi(env: Pick<BrowserEnv, 'hasRTCPeerConnection' | 'hasGetUserMedia' | 'secure'> = here()): BrowserSupport['reason'] {
  return !env.hasRTCPeerConnection ? 'RTCPeerConnection' : env.hasGetUserMedia ? undefined : env.secure === false ? 'secureContext' : 'getUserMedia';
}

/** Can this browser (or the one `env` describes) join a room? */
export function browserSupport(env: BrowserEnv = here()): BrowserSupport {
  const ua = env.userAgent;
  const has = (re: RegExp) => re.test(ua);
  let browser = '';
  let version: number | undefined;
  for (const [name, re] of BROWSERS) {
    const m = re.exec(ua);
    if (!m) continue;
    browser = name || m[1];
    if (name && m[1]) version = +m[1];
    break;
  }
  if (has(/Android/) && (browser === 'Safari' || (browser === 'Chrome' && has(/Version\//)))) browser = 'Android WebView';
  const iDevice = has(/iPhone|iPad|iPod/);
  if (!browser && iDevice) browser = 'Safari';
  // openvidu-browser's iPhone or iPad: an iPhone UA with "Mobile", or a Mac UA on a touch screen (iPadOS 13+).
  const ios = !!env.touch && (has(/Macintosh/) || (has(/iPhone/) && has(/Mobile/)));
  const v = version ?? -1;
  const edgeMobile = browser === 'Edge' && (iDevice || has(/Android/)) && v > 45;
  const ok = ios
    ? // Safari (and every iOS browser that keeps its UA), Chrome, Firefox, Opera, Edge, or an app's WebView (no "Safari").
      (/Apple/.test(env.vendor ?? '') && !has(/CriOS|FxiOS/)) || !has(/Safari/) || has(/CriOS|CrMo|FxiOS/) || (browser === 'Opera' && has(/Mobi/)) || edgeMobile
    : edgeMobile || (browser === 'Edge' && v >= 80) || SUPPORTED.includes(browser);
  const engine =
    ios || iDevice
      ? 'WebKit'
      : has(/Trident|MSIE/)
        ? 'Trident'
        : has(/\bEdge\//)
          ? 'EdgeHTML'
          : has(/\bGecko\/\d/)
            ? 'Gecko'
            : has(/Chrome\/|CrMo/)
              ? 'Blink'
              : has(/AppleWebKit/i)
                ? 'WebKit'
                : '';
  const reason = ok ? missingApi(env) : 'browser';
  return { supported: !reason, browser, version, engine, ...(reason && { reason }) };
}
