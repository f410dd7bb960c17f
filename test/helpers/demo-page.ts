// Driving the demo as a user: `npm start` in a child process, and what a page of it shows (room state, tiles, clip
// list, snapshot gallery). Shared by the end-to-end journeys and the demo benchmark.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { sleep } from './until.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface NpmStart {
  url: string;
  dataDir: string;
  /** Ctrl-C, as a user would (clips in progress are finished), then the data folder is removed. */
  stop(): Promise<void>;
}

/** `npm start` on a free loopback port with its own data folder; resolves once it prints its URL. */
export async function npmStart(env: Record<string, string> = {}): Promise<NpmStart> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ov-demo-'));
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    detached: true, // its own process group, so npm and the server behind it stop together
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', HTTPS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL within 120 s:\n${out}`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      const m = /ov-live-elements demo: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (c) => (out += c));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}):\n${out}`));
    });
  }).catch(async (err) => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGINT');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, dataDir, stop };
}

/** Poll `probe` until `ok`; the error names what was awaited and what was last seen. */
export async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await probe().catch(() => undefined as T);
    if (last !== undefined && ok(last)) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

/**
 * What the probes below need from a page: a Playwright Page or Frame, or a puppeteer Page (Firefox over WebDriver
 * BiDi). They only run a function in the page and read back what it returns.
 */
export interface Evaluates {
  evaluate<R>(fn: () => R): Promise<Awaited<R>>;
}

export interface Tile {
  name: string;
  kind: string;
  local: boolean;
  playing: boolean;
}

/** The tiles of the page's <ov-live-room>, and whether each one's video is really playing. */
export const tiles = (where: Evaluates) =>
  where.evaluate(() => {
    const room = document.querySelector('ov-live-room');
    return [...(room?.shadowRoot?.querySelectorAll('ov-video-tile') ?? [])].map((t) => {
      const tile = t as HTMLElement & { name: string; stream?: { kind: string; isLocal: boolean } };
      const v = tile.shadowRoot?.querySelector('video');
      return {
        name: tile.name,
        kind: tile.stream?.kind ?? 'none',
        local: !!tile.stream?.isLocal,
        playing: !!v && !v.hidden && !v.paused && v.readyState >= 2 && v.videoWidth > 0 && v.currentTime > 0,
      };
    });
  }) as Promise<Tile[]>;

export const roomState = (where: Evaluates): Promise<string> =>
  where.evaluate(() => (document.querySelector('ov-live-room') as (HTMLElement & { state: string }) | null)?.state ?? 'none');

/** The items of the page's <ov-clip-list>: id and status. */
export const clips = (page: Evaluates) =>
  page.evaluate(() =>
    [...(document.querySelector('ov-clip-list')?.shadowRoot?.querySelectorAll('li[part="item"]') ?? [])].map((li) => ({
      id: (li as HTMLElement).dataset.id!,
      status: /status-(\w+)/.exec(li.querySelector('[part~="status"]')?.getAttribute('part') ?? '')?.[1] ?? '',
    })),
  );

/** Waits until every page's clip list holds one clip, ready, the same one in all; returns its id. */
export async function oneReadyClipEverywhere(pages: Record<string, Evaluates>): Promise<string> {
  let id = '';
  for (const [who, page] of Object.entries(pages)) {
    const list = await waitFor(
      `a ready clip in ${who}’s list`,
      () => clips(page),
      (l) => l.length === 1 && l[0].status === 'ready',
      30_000,
    );
    id ||= list[0].id;
    assert.equal(list[0].id, id, 'every list shows the same clip');
  }
  return id;
}

/** The demo page's snapshot gallery: ids whose image has loaded. */
export const gallery = (page: Evaluates) =>
  page.evaluate(() =>
    [...document.querySelectorAll('#gallery li')]
      .filter((li) => (li.querySelector('img') as HTMLImageElement)?.naturalWidth > 0)
      .map((li) => (li as HTMLElement).dataset.id!),
  );

/** Fill the demo page's form and join. */
export async function joinFromForm(page: Page, base: string, room: string, name: string) {
  await page.goto(`${base}/`);
  await page.fill('input[name="session"]', room);
  await page.fill('input[name="name"]', name);
  await page.click('#join-form button[type="submit"]');
}
