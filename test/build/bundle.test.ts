// The shipped bundles: they build and fit the size budgets; the script-tag build defines every tag in a page (twice
// without throwing) with no network access but its own files, loads openvidu-browser only for a page with a room, and
// the room's pre-join screen paints before openvidu-browser has arrived.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { launchChromium } from '../helpers/browser.js';
import { ensureBuild, root } from '../helpers/build.js';
import { until } from '../helpers/until.js';

/**
 * Budgets from the issues: our own code; the whole script-tag build (its entry and every part in
 * dist/ov-live-elements/, the room's included); and what a page with only a clip list and a snapshot button loads.
 */
// Own code was held at 20 KB until the script tag loaded in parts: the room's stand-in and loader (~0.7 KB), the
// explicit browser check (~0.3 KB) and the ordered clip-status book (~0.1 KB) took it to ~21 KB while a page without
// a room dropped from 95 to 23 KB. The budget moved to 22 KB on purpose (docs/performance.md). Clip editing took it
// to ~25.3 KB (the core's edits and their ordering ~0.7 KB; in the elements the inline rename, the player's Download,
// Copy link, Trim and Restore original, the trim editor ~1.1 KB, and their strings in two languages ~0.3 KB): 25.5 KB,
// above the 24 KB first meant for it (docs/performance.md). The edits' code loads only on use, so a page without a
// room stays within its own budget below. Instant replay took it to 26.0 KB (the core's buffer state, its signal and
// clipReplay ~0.4 KB; the indicator, the button, the event and their strings in two languages ~0.3 KB, less what
// sharing the toolbar's toggle template and naming error strings after their codes saved): 26 KB. The access pass a
// trusted backend gives with each token (kept by the room, sent on every write by the room, a linked list and the
// snapshot button) took it ~0.1 KB further: 26.25 KB. In the script-tag build the html`…` templates lose their
// indentation (scripts/minify-css-literals.mjs), which keeps the page without a room within its 25 KB.
const OWN_CODE_BUDGET = 26.25 * 1024;
const BUNDLE_BUDGET = 110 * 1024;
const NO_ROOM_PAGE_BUDGET = 25 * 1024;

/** openvidu-browser's own code (its logger), in whichever file of the build it is. */
const OPENVIDU_BROWSER = /OpenViduLogger|openvidu-browser-logs/;

const gzip = (body: Buffer | string) => gzipSync(body, { level: 9 }).length;

/** The files of the script-tag build, by URL path: `/ov-live-elements.js` and its parts `/ov-live-elements/*.js`. */
function scriptTagFiles(): Map<string, string> {
  const parts = path.join(root, 'dist/ov-live-elements');
  const files = new Map([['/ov-live-elements.js', path.join(root, 'dist/ov-live-elements.js')]]);
  for (const f of existsSync(parts) ? readdirSync(parts) : []) if (f.endsWith('.js')) files.set(`/ov-live-elements/${f}`, path.join(parts, f));
  return files;
}

interface DistServer {
  url: string;
  /** Every script path asked for, in order. */
  scripts: string[];
  /** gzip size of each script path sent (or being held). */
  sizes: Map<string, number>;
  /** Script paths whose answer waits for `release()`. */
  held: string[];
  release(): void;
  close(): Promise<void>;
}

/**
 * Serves `page` at `/`, the script-tag build as the reference server does (same paths), and the little API a clip
 * list needs (an empty list, an idle event stream); the rest is 404. Scripts whose code matches `hold` wait for
 * `release()`.
 */
async function startDistServer(page: string, hold?: RegExp): Promise<DistServer> {
  const files = scriptTagFiles();
  const waiting: (() => void)[] = [];
  let released = false;
  const out: DistServer = {
    url: '',
    scripts: [],
    sizes: new Map(),
    held: [],
    release: () => {
      released = true;
      waiting.splice(0).forEach((go) => go());
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  const server = http.createServer(async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    const file = files.get(pathname);
    if (file) {
      const body = readFileSync(file);
      out.scripts.push(pathname);
      out.sizes.set(pathname, gzip(body));
      if (hold?.test(body.toString('utf8')) && !released) {
        out.held.push(pathname);
        await new Promise<void>((go) => waiting.push(go));
      }
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(body);
    } else if (pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(page);
    } else if (/^\/api\/sessions\/[\w-]+\/clips$/.test(pathname)) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"clips":[]}');
    } else if (/^\/api\/sessions\/[\w-]+\/events$/.test(pathname)) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).write(': open\n\n');
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"code":"OV_NOT_FOUND","message":"not found"}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  out.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return out;
}

const SCRIPT = '<script type="module" src="/ov-live-elements.js"></script>';

/** Our code alone, as a bundler user would ship it: minified, Lit and openvidu-browser left out. */
export async function ownCodeGzip(): Promise<number> {
  const out = await esbuild.build({
    entryPoints: [path.join(root, 'components/index.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
    external: ['lit', 'lit/*', '@lit/*', 'openvidu-browser'],
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'silent',
  });
  return gzipSync(out.outputFiles[0].contents, { level: 9 }).length;
}

describe('bundles', () => {
  before(ensureBuild);

  it(`our own code stays within ${OWN_CODE_BUDGET / 1024} KB gzip, the whole script-tag build (all its parts) within ${BUNDLE_BUDGET / 1024} KB`, async () => {
    const own = await ownCodeGzip();
    const parts = [...scriptTagFiles()].map(([url, file]) => [url, gzip(readFileSync(file))] as const);
    const bundle = parts.reduce((sum, [, size]) => sum + size, 0);
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    console.log(`    own code ${kb(own)} gzip; script-tag build ${kb(bundle)} gzip: ${parts.map(([url, size]) => `${url} ${kb(size)}`).join(', ')}`);
    assert.ok(own <= OWN_CODE_BUDGET, `own code ${own} B > ${OWN_CODE_BUDGET} B`);
    assert.ok(bundle <= BUNDLE_BUDGET, `bundle ${bundle} B > ${BUNDLE_BUDGET} B`);
    assert.ok(parts.length >= 3, `the entry, the elements and the room's part: ${parts.map(([url]) => url).join(', ')}`);
  });

  it('the package entries keep lit and openvidu-browser as dependencies', () => {
    // the entries (index, core, components/*, react) and the chunks they share
    const dist = path.join(root, 'dist');
    const files = [
      'index.js',
      'core.js',
      'react.js',
      ...['components', 'chunks'].flatMap((d) => readdirSync(path.join(dist, d)).map((f) => `${d}/${f}`)),
    ].filter((f) => f.endsWith('.js'));
    const code = files.map((f) => readFileSync(path.join(dist, f), 'utf8')).join('\n');
    assert.match(code, /from ['"]lit['"]/);
    assert.match(code, /import ['"]openvidu-browser['"]|from ['"]openvidu-browser['"]/);
    assert.doesNotMatch(code, /class\s+OpenVidu\b/, 'openvidu-browser is not inlined');
    assert.doesNotMatch(code, /class\s+ReactiveElement\b/, 'lit is not inlined');
  });

  it('dist/ov-live-elements.js defines the three tags in a page, and loading it twice does not throw', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const files = scriptTagFiles();
      await page.route('http://bundle.test/**', (route) => {
        const file = files.get(new URL(route.request().url()).pathname);
        if (file) return route.fulfill({ contentType: 'text/javascript', body: readFileSync(file, 'utf8') });
        return route.fulfill({
          contentType: 'text/html',
          body: '<!doctype html><ov-live-room session="demo"></ov-live-room><ov-clip-list session="demo"></ov-clip-list><ov-snapshot-button></ov-snapshot-button>',
        });
      });
      await page.goto('http://bundle.test/');
      await page.addScriptTag({ url: 'http://bundle.test/ov-live-elements.js', type: 'module' });
      await page.addScriptTag({ url: 'http://bundle.test/ov-live-elements.js?again', type: 'module' });
      const defined = await page.evaluate(() => ['ov-live-room', 'ov-clip-list', 'ov-snapshot-button'].map((t) => !!customElements.get(t)));
      assert.deepEqual(defined, [true, true, true]);
      const upgraded = await page.evaluate(() => !!document.querySelector('ov-live-room')!.shadowRoot);
      assert.ok(upgraded, 'the element in the page got its shadow root');
      // Two URLs of the entry, one copy of the elements: the second entry re-exports the same classes.
      const same = await page.evaluate(async () => {
        const [a, b] = await Promise.all(['/ov-live-elements.js', '/ov-live-elements.js?again'].map((url) => import(url)));
        return a.OvLiveRoom === b.OvLiveRoom && a.OvLiveRoom === customElements.get('ov-live-room');
      });
      assert.ok(same, 'both entry URLs give the defined OvLiveRoom class');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  it(`a page with only <ov-clip-list> and <ov-snapshot-button> loads at most ${NO_ROOM_PAGE_BUDGET / 1024} KB gzip of script, and no openvidu-browser`, async () => {
    const server = await startDistServer(`<!doctype html>${SCRIPT}<ov-clip-list session="demo"></ov-clip-list><ov-snapshot-button></ov-snapshot-button>`);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      page.on('request', (r) => void (r.resourceType() === 'script' && requested.push(r.url())));
      await page.goto(server.url);
      await page.locator('ov-clip-list [part="empty"], ov-clip-list [part="list"]').first().waitFor();
      await page.locator('ov-snapshot-button [part="button"]').waitFor();
      const before = [...server.scripts];
      const total = before.reduce((sum, url) => sum + server.sizes.get(url)!, 0);
      console.log(`    scripts of a page without a room: ${before.join(', ')}: ${(total / 1024).toFixed(1)} KB gzip`);
      assert.deepEqual(
        requested.map((u) => new URL(u).pathname),
        before,
        'every script the page asked for came from the script-tag build',
      );
      assert.ok(total <= NO_ROOM_PAGE_BUDGET, `${total} B of script > ${NO_ROOM_PAGE_BUDGET} B`);
      const openvidu = before.filter((url) => OPENVIDU_BROWSER.test(readFileSync(scriptTagFiles().get(url)!, 'utf8')));
      assert.deepEqual(openvidu, [], 'no openvidu-browser without a room');
      // The barrier: a room added now makes the page ask for openvidu-browser, and for nothing else.
      await page.evaluate(() => document.body.append(Object.assign(document.createElement('ov-live-room'), { session: 'demo' })));
      const room = await until(
        () => server.scripts.slice(before.length).find((url) => OPENVIDU_BROWSER.test(readFileSync(scriptTagFiles().get(url)!, 'utf8'))),
        'the room part is asked for',
        15_000,
      );
      assert.deepEqual(server.scripts.slice(before.length), [room], 'the room adds its own part, nothing more');
    } finally {
      await browser.close();
      await server.close();
    }
  });

  it("<ov-live-room>'s pre-join screen paints before openvidu-browser has arrived; Join waits for it, then joins", async () => {
    const server = await startDistServer(`<!doctype html>${SCRIPT}<ov-live-room session="demo" name="Ann"></ov-live-room>`, OPENVIDU_BROWSER);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      // The room in the page asks for openvidu-browser at once (held by the server until released)…
      const held = await until(() => server.held[0], 'the room asks for openvidu-browser', 15_000);
      // …and paints its pre-join screen meanwhile: a screenshot of the Join button is a painted frame.
      const join = page.locator('ov-live-room [part="pre-join"] [part="join-button"]');
      await join.waitFor({ state: 'visible' });
      const shot = await join.screenshot();
      assert.ok(shot.length > 100, 'the Join button was painted');
      const arrived = await page.evaluate((url) => performance.getEntriesByName(url).length, new URL(held, server.url).href);
      assert.equal(arrived, 0, `${held} had not arrived when the pre-join screen painted`);
      // Join before it arrives: the room says joining at once, and goes on once the code is there.
      await page.evaluate(() => {
        const room = document.querySelector('ov-live-room')!;
        (window as unknown as { codes: string[] }).codes = [];
        room.addEventListener('ov-error', (e) => (window as unknown as { codes: string[] }).codes.push((e as CustomEvent).detail.code));
      });
      await join.click();
      await page.locator('ov-live-room [part="status"] [part="spinner"]').waitFor({ state: 'visible' });
      assert.equal(await page.evaluate(() => (document.querySelector('ov-live-room') as HTMLElement & { state: string }).state), 'joining');
      server.release();
      // This server has no token route: LiveRoom, now loaded, asks for a token and fails as it would anywhere.
      await page.locator('ov-live-room [part="error"]').waitFor({ state: 'visible' });
      assert.deepEqual(await page.evaluate(() => (window as unknown as { codes: string[] }).codes), ['TOKEN_FAILED']);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
