import type { BrowserContext, Page } from 'playwright-core';
import { sleep } from './until.js';

export interface LogEntry {
  t: number;
  type: string;
  [key: string]: unknown;
}

/** One openvidu-browser client in its own page, driven through test/helpers/ov-page.js. */
export class Participant {
  connectionId = '';

  private constructor(readonly page: Page) {}

  static async open(context: BrowserContext, pageUrl: string): Promise<Participant> {
    const page = await context.newPage();
    await page.goto(pageUrl);
    await page.waitForFunction(() => typeof (window as unknown as { ovJoin?: unknown }).ovJoin === 'function');
    return new Participant(page);
  }

  async join(token: string, clientData = ''): Promise<{ connectionId: string; role: string; data: string }> {
    const r = await this.page.evaluate(([t, d]) => (window as any).ovJoin(t, d), [token, clientData] as const);
    this.connectionId = r.connectionId;
    return r;
  }

  publish(
    opts: { audio?: boolean; video?: boolean; publishAudio?: boolean; publishVideo?: boolean; screen?: boolean; resolution?: string; frameRate?: number } = {},
  ): Promise<string> {
    return this.page.evaluate((o) => (window as any).ovPublish(o), opts);
  }

  call<T = unknown>(fn: string, ...args: unknown[]): Promise<T> {
    return this.page.evaluate(([f, a]) => (window as any)[f as string](...(a as unknown[])), [fn, args] as const);
  }

  log(): Promise<LogEntry[]> {
    return this.page.evaluate(() => (window as any).ovLog);
  }

  /** Waits until an entry matching every given field is in the log; returns it. */
  async waitForEvent(match: Record<string, unknown>, timeoutMs = 15_000): Promise<LogEntry> {
    const handle = await this.page.waitForFunction(
      (m) => (window as any).ovLog.find((e: Record<string, unknown>) => Object.entries(m).every(([k, v]) => e[k] === v)),
      match,
      { timeout: timeoutMs, polling: 50 },
    );
    return (await handle.jsonValue()) as LogEntry;
  }

  remoteVideo(): Promise<Record<string, { videoWidth: number; videoHeight: number; framesDecoded: number; audioSamples: number; streamId: string }>> {
    return this.page.evaluate(() => (window as any).ovRemoteVideo());
  }

  /** Waits until the remote video of `connectionId` is playing: a size, and frames being decoded. */
  async waitForRemoteVideo(connectionId: string, minFrames = 5, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      const all = await this.remoteVideo();
      const v = all[connectionId];
      last = v;
      if (v && v.videoWidth > 0 && v.framesDecoded >= minFrames) return v;
      await sleep(100);
    }
    throw new Error(`remote video of ${connectionId} not playing within ${timeoutMs} ms: ${JSON.stringify(last)}`);
  }

  close() {
    return this.page.close();
  }
}
