// The WordPress plugin in a real WordPress (harness.ts: Debian's packages, installed from nothing in a temporary
// folder), with the reference server as `npm start` runs it, trusting WordPress as its backend (BACKEND_SECRET) and
// allowing the site's origin (CORS_ORIGINS). In Chromium, an editor logged in through wp-login.php and a guest open the
// page with the block, join the room and see each other; the editor records a clip and takes a snapshot; the guest gets
// neither button, and the server refuses the guest's forged requests. Screenshots of the page and of the settings page
// go to test-output/wordpress/ (and docs/images/ with DOCS_SCREENSHOTS=1). Skipped, with the reason, only where the
// Debian packages are absent and cannot be installed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { ensureBuild } from '../helpers/build.js';
import { npmStart, oneReadyClipEverywhere, root, tiles, waitFor, type NpmStart } from '../helpers/demo-page.js';
import { freePort, startWordPress, type Login, type WordPressSite } from './harness.js';
import { ensureWordPress } from './packages.js';

const skip = ensureWordPress();
const ROOM = 'wp-room';
const EDITOR = 'Edith Editor';
const SECRET = randomBytes(32).toString('base64url');
const shots = path.join(root, 'test-output/wordpress');

/** A screenshot in test-output/wordpress/, and in docs/images/ too with DOCS_SCREENSHOTS=1 (so a run leaves the tree as it was). */
async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file });
  if (process.env.DOCS_SCREENSHOTS === '1') copyFileSync(file, path.join(root, 'docs/images', `${name}.png`));
}

let server: NpmStart | undefined;
let site: WordPressSite | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
let built = 0;
let editor: Page;
let guest: Page;

async function visitor(name: string): Promise<Page> {
  const context = await browser!.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`    [${name}] page error: ${e.message}`));
  return page;
}

async function logIn(page: Page, who: Login): Promise<void> {
  await page.goto(`${site!.url}/wp-login.php`);
  await page.fill('#user_login', who.user);
  await page.fill('#user_pass', who.password);
  await Promise.all([page.waitForURL(/\/wp-admin\//), page.click('#wp-submit')]);
}

/** What the page's own token route answers this browser (as the element asks it), with a body the plugin must ignore. */
const tokenFromWordPress = (page: Page) =>
  page.evaluate(async () => {
    const endpoint = document.querySelector('ov-live-room')!.getAttribute('token-endpoint')!;
    const body = JSON.stringify({ name: 'Forged Admin', role: 'MODERATOR', permissions: ['clip', 'snapshot'] });
    const r = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body, credentials: 'same-origin' });
    return { status: r.status, body: (await r.json()) as { token?: string; access?: string } };
  });

/** A POST from the page to the reference server, with `pass` as the access pass when given. */
const postFrom = (page: Page, url: string, pass?: string, body: object = {}) =>
  page.evaluate(
    async ({ url, pass, body }) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (pass) headers.authorization = `Bearer ${pass}`;
      const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: r.status, code: ((await r.json().catch(() => ({}))) as { code?: string }).code };
    },
    { url, pass, body },
  );

/** One character of `s` at `i` changed (to another base64url character), so the pass no longer matches its signature. */
const tamper = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

const snapshotsOnServer = async () => ((await (await fetch(`${server!.url}/api/sessions/${ROOM}/snapshots`)).json()) as { snapshots: unknown[] }).snapshots;

describe('the WordPress plugin in a real WordPress', { skip, timeout: 600_000 }, () => {
  before(async () => {
    ensureBuild(); // npm start's own check would count the build against its start-up time
    built = Date.now();
    const port = await freePort();
    // The reference server and the site start side by side; the site needs the server's address only to configure
    // the plugin, after installing WordPress.
    const started = npmStart({ BACKEND_SECRET: SECRET, CORS_ORIGINS: `http://127.0.0.1:${port}` }).then((s) => (server = s));
    const made = startWordPress({
      port,
      pluginDir: path.join(root, 'integrations/wordpress/ov-live-elements'),
      options: started.then((s) => ({
        server_url: s.url,
        backend_secret: SECRET,
        default_room: ROOM,
        guests: 'join',
        roles_join: ['editor', 'author', 'subscriber'],
        roles_clip: ['editor'],
        roles_snapshot: ['editor'],
      })),
      content: `<!-- wp:ov-live-elements/room {"room":"${ROOM}"} /-->`,
      editorName: EDITOR,
    }).then((s) => (site = s));
    const [a, b] = await Promise.allSettled([started, made]);
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
    console.log(`    WordPress ${site!.version} set up in ${Object.values(site!.timings).reduce((x, y) => x + y, 0)} ms ${JSON.stringify(site!.timings)}`);
    browser = await launchChromium();
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    if (site) {
      const log = site.phpLog();
      if (log)
        console.log(
          `    PHP log (plugin lines):\n${log
            .split('\n')
            .filter((l) => l.includes('/plugins/ov-live-elements/'))
            .join('\n')}`,
        );
    }
    await site?.stop();
    await server?.stop();
    console.log(`    ${Date.now() - built} ms from the build to the end`);
  });

  it('an editor logged in and a guest open the page with the block, join the room and see each other’s video', async () => {
    editor = await visitor('editor');
    await logIn(editor, site!.editor);
    guest = await visitor('guest');
    for (const page of [editor, guest]) {
      await page.goto(site!.page);
      assert.equal(await page.locator('ov-live-room').count(), 1, 'the block renders the room');
      assert.ok(!(await page.content()).includes(SECRET), 'the backend secret is not in the page');
      await page.click('ov-live-room [part="join-button"]');
    }
    for (const [who, page] of [
      ['editor', editor],
      ['guest', guest],
    ] as const) {
      await waitFor(
        `the ${who} sees two playing videos`,
        () => tiles(page),
        (t) => t.length === 2 && t.every((x) => x.playing),
      );
    }
    const names = async (page: Page) => (await tiles(page)).filter((t) => !t.local).map((t) => t.name);
    assert.deepEqual(await names(guest), [EDITOR], 'the guest sees the editor under her WordPress display name');
    assert.match((await names(editor))[0], /^Guest \d{4}$/, 'the editor sees a guest');
  });

  it('the guest gets neither a record button nor a snapshot button; the editor gets both', async () => {
    assert.equal(await guest.locator('ov-live-room [part~="clip-button"]').count(), 0);
    assert.equal(await guest.locator('ov-snapshot-button').count(), 0);
    assert.equal(await editor.locator('ov-live-room [part~="clip-button"]').count(), 1);
    assert.equal(await editor.locator('ov-snapshot-button').count(), 1);
  });

  it('the server refuses the guest’s forged requests: no pass, the guest’s own pass, a tampered pass, no secret', async () => {
    const clips = `${server!.url}/api/sessions/${ROOM}/clips`;
    // The plugin decides, whatever the body asks: the guest's pass carries no right to clip.
    const own = await tokenFromWordPress(guest);
    assert.ok(own.status >= 200 && own.status < 300, `token route: ${own.status}`);
    assert.ok(own.body.token && own.body.access, 'the token route answers a token and an access pass');
    const mine = await tokenFromWordPress(editor);
    assert.ok(mine.body.access, 'the editor gets an access pass');
    const pass = mine.body.access!;

    const attempts: Array<[string, string, string | undefined]> = [
      ['no pass', clips, undefined],
      ['the guest’s own pass (no clip right)', clips, own.body.access],
      ['the editor’s pass with its claims altered', clips, tamper(pass, Math.floor(pass.length / 3))],
      ['the editor’s pass with its signature altered', clips, tamper(pass, pass.length - 5)],
      ['the editor’s pass for another room', `${server!.url}/api/sessions/other-room/clips`, pass],
    ];
    for (const [what, url, p] of attempts) {
      assert.deepEqual(await postFrom(guest, url, p), { status: 403, code: 'OV_FORBIDDEN' }, `clip start with ${what}`);
    }
    const token = await postFrom(guest, `${server!.url}/api/sessions/${ROOM}/token`, undefined, { name: 'Mallory', role: 'MODERATOR' });
    assert.deepEqual(token, { status: 403, code: 'OV_FORBIDDEN' }, 'a token asked of the server without the backend secret');
  });

  it('the editor records a clip: it is ready in both lists', async () => {
    await editor.click('ov-live-room [part~="clip-button"]');
    await waitFor(
      'the recording indicator on the guest’s side',
      () => guest.locator('ov-live-room [part~="recording-indicator"]').count(),
      (n) => n === 1,
    );
    await editor.waitForTimeout(2500); // the clip's length
    await editor.click('ov-live-room [part~="clip-button"]');
    await oneReadyClipEverywhere({ editor, guest });
  });

  it('the editor takes a snapshot: it reaches the server', async () => {
    assert.equal((await snapshotsOnServer()).length, 0);
    await editor.click('ov-snapshot-button [part~="button"]');
    await waitFor(
      'the snapshot on the server',
      () => snapshotsOnServer(),
      (s) => s.length === 1,
    );
    await shot(editor, 'wordpress-room');
  });

  it('the settings page: an administrator sees the server’s address, not the secret, which saving the form keeps', async () => {
    const admin = await visitor('admin');
    await logIn(admin, site!.admin);
    await admin.goto(`${site!.url}/wp-admin/options-general.php?page=ov-live-elements`);
    const html = await admin.content();
    assert.ok(html.includes(server!.url), 'the server’s address is shown');
    assert.ok(!html.includes(SECRET), 'the backend secret is not printed back');
    // The whole page in the window (a full-page capture would cut the admin menu's background at the window's height).
    const height = await admin.evaluate(() => document.documentElement.scrollHeight);
    await admin.setViewportSize({ width: 1280, height: Math.min(height, 2000) });
    await shot(admin, 'wordpress-settings');

    // Saved as it is (the secret's field left empty): the secret is kept, so the page still gets tokens.
    await Promise.all([admin.waitForURL(/settings-updated=true/), admin.click('#submit')]);
    const again = await tokenFromWordPress(guest);
    assert.ok(again.status >= 200 && again.status < 300 && again.body.token, `token after saving: ${again.status}`);
  });

  it('no PHP notice, warning or error from the plugin', () => {
    const lines = site!
      .phpLog()
      .split('\n')
      .filter((l) => l.includes('/plugins/ov-live-elements/'));
    assert.deepEqual(lines, []);
  });

  it('stopping leaves no MariaDB, no PHP server and no folder behind', async () => {
    const { leftovers, dir } = site!;
    await site!.stop();
    site = undefined;
    assert.deepEqual(leftovers(), []);
    assert.ok(!existsSync(dir), `${dir} removed`);
  });
});
