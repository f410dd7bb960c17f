// browserSupport() answers for pages that want to know without openvidu-browser, while LiveRoom.join() asks
// openvidu-browser's own checkSystemRequirements(): the two must agree. openvidu-browser reads the browser through
// platform.js's shared description of this environment, so each user agent is put in place of it, with its vendor
// and touch screen, and the real checkSystemRequirements() of the installed openvidu-browser answers.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { APPLE, USER_AGENTS } from '../helpers/user-agents.js';

// platform.js as openvidu-browser resolves it: the same module instance its checks read.
const require = createRequire(createRequire(import.meta.url).resolve('openvidu-browser/package.json'));
type Platform = Record<string, unknown> & { parse(ua: string): Record<string, unknown> };
type OpenViduClass = new () => { enableProdMode(): void; checkSystemRequirements(): boolean };

const globals = globalThis as Record<string, unknown>;
const saved = ['navigator', 'document', 'addEventListener'].map((k) => [k, Object.getOwnPropertyDescriptor(globalThis, k)] as const);
const set = (key: string, value: unknown) => Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });

// Mobile user agents make openvidu-browser listen for orientation changes on globalThis.
set('addEventListener', () => undefined);
const platform = require('platform') as Platform;
const { OpenViduLogger } = require('./lib/OpenViduInternal/Logger/OpenViduLogger.js') as {
  OpenViduLogger: { getInstance(): { enableProdMode(): void } };
};
OpenViduLogger.getInstance().enableProdMode(); // its constructor logs the platform otherwise
const { OpenVidu } = require('./lib/OpenVidu/OpenVidu.js') as { OpenVidu: OpenViduClass };
const described = { ...platform };

/** openvidu-browser 2.32's verdict on a browser: its platform.js description, navigator and touch screen set to it. */
function openviduSays(userAgent: string, vendor: string, touch: boolean): boolean {
  for (const key of Object.keys(platform)) if (typeof platform[key] !== 'function') delete platform[key];
  Object.assign(platform, platform.parse(userAgent));
  set('navigator', { userAgent, vendor });
  set('document', touch ? { ontouchend: null } : {});
  return new OpenVidu().checkSystemRequirements();
}

describe("browserSupport() and openvidu-browser's own rule", () => {
  after(() => {
    for (const key of Object.keys(platform)) if (typeof platform[key] !== 'function') delete platform[key];
    Object.assign(platform, described);
    for (const [key, descriptor] of saved) {
      if (descriptor) Object.defineProperty(globalThis, key, descriptor);
      else delete globals[key];
    }
  });

  for (const [what, ua, vendor, touch, want] of USER_AGENTS) {
    // A refused user agent is reason `browser`; every row has RTCPeerConnection and getUserMedia.
    const ours = want.reason !== 'browser';
    it(`${what}: both say ${ours ? 'supported' : 'refused'}`, () => {
      assert.equal(openviduSays(ua, vendor, touch), ours);
    });
  }

  it('the rule can fail here: a Mac user agent on a touch screen is an iPad, where a Google vendor is refused', () => {
    const mac = USER_AGENTS.find(([what]) => what.startsWith('iPadOS posing'))!;
    assert.equal(openviduSays(mac[1], APPLE, true), true);
    assert.equal(openviduSays(mac[1], 'Google Inc.', true), false);
  });
});
