import { existsSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Chromium flags for WebRTC on loopback with fake devices (docs/testing.md); shared with web-test-runner. */
export const CHROMIUM_ARGS: string[] = JSON.parse(readFileSync(new URL('./chromium-flags.json', import.meta.url), 'utf8'));

export function chromePath(): string {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) {
    throw new Error("No Chromium found. Install Debian's chromium (apt-get install chromium) or set CHROME_PATH.");
  }
  return found;
}

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: chromePath(), args: [...CHROMIUM_ARGS, ...extraArgs] });
}

export async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ permissions: ['camera', 'microphone'] });
}
