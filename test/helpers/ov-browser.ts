import { OpenVidu } from 'openvidu-node-client';
import type { Browser, BrowserContext } from 'playwright-core';
import type { EmbeddedOpenViduOptions } from '../../demo-server/embedded-openvidu/index.js';
import { launchChromium, newContext } from './browser.js';
import { openviduTarget, type OpenViduTarget } from './openvidu-target.js';
import { Participant } from './participant.js';
import { startPageServer } from './static-server.js';

/** Chromium (fake devices, camera and microphone allowed) and the openvidu-browser driver page (ov-page.js) on loopback. */
export interface OvBrowser {
  browser: Browser;
  /** One context for every participant opened through `participant()`. */
  context: BrowserContext;
  /** The driver page's URL. */
  pageUrl: string;
  /** A new openvidu-browser client in its own page of `context` (or of the context given). */
  participant(context?: BrowserContext): Promise<Participant>;
  close(): Promise<void>;
}

export async function startOvBrowser(): Promise<OvBrowser> {
  const pages = await startPageServer();
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await newContext(browser);
    return {
      browser,
      context,
      pageUrl: pages.url,
      participant: (c = context) => Participant.open(c, pages.url),
      close: async () => {
        await browser?.close();
        await pages.close();
      },
    };
  } catch (e) {
    await browser?.close();
    await pages.close();
    throw e;
  }
}

/** The OpenVidu target (openvidu-target.ts), openvidu-node-client on it, and `OvBrowser` to join it from Chromium. */
export interface OvBrowserTarget extends OvBrowser {
  target: OpenViduTarget;
  ov: OpenVidu;
}

export async function startOvBrowserTarget(options: EmbeddedOpenViduOptions = {}): Promise<OvBrowserTarget> {
  const target = await openviduTarget(options);
  let b: OvBrowser;
  try {
    b = await startOvBrowser();
  } catch (e) {
    await target.close();
    throw e;
  }
  return {
    ...b,
    target,
    ov: new OpenVidu(target.url, target.secret),
    close: async () => {
      await b.close();
      await target.close();
    },
  };
}
