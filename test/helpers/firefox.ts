// Firefox for end-to-end tests: Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi (Playwright cannot
// drive it: its `moz-firefox` channel fails at newContext, and its own Firefox build is not available here).
import { existsSync, readFileSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

/**
 * Fake camera and microphone without a prompt, and ICE on loopback with real host addresses. All four are needed:
 * with only the first two, ICE fails on 127.0.0.1 and remote videos never play. Shared with web-test-runner.
 */
export const FIREFOX_PREFS: Readonly<Record<string, boolean>> = JSON.parse(readFileSync(new URL('./firefox-prefs.json', import.meta.url), 'utf8'));

export function firefoxPath(): string {
  const candidates = [process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox'];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) {
    throw new Error("No Firefox found. Install Debian's firefox-esr (apt-get install firefox-esr) or set FIREFOX_PATH.");
  }
  return found;
}

/** Headless Firefox; use one `browser.createBrowserContext()` per participant. */
export async function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({ browser: 'firefox', executablePath: firefoxPath(), headless: true, extraPrefsFirefox: { ...FIREFOX_PREFS } });
}
