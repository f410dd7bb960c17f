// Share links end to end: the reference server over real HTTP with the embedded OpenVidu, clips recorded from an
// openvidu-browser publisher in Chromium, and the watch page opened with no cookies (Node, and a fresh Chromium context).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../demo-server/src/app.js';
import { loadConfig } from '../../demo-server/src/config.js';
import type { Action, Authorize, Resource } from '../../demo-server/src/plugins/authorize.js';
import { pickLang } from '../../demo-server/src/routes/watch.js';
import { ShareKeyRing } from '../../demo-server/src/services/share-links.js';
import { startTestServer, type TestServer } from '../helpers/app-server.js';
import { startOvBrowser, type OvBrowser } from '../helpers/ov-browser.js';
import type { Participant } from '../helpers/participant.js';
import { sleep } from '../helpers/until.js';
import { apiClient } from '../helpers/api.js';

const K_OLD = 'share-key-old-0123456789-0123456789-abc';
const K_NEW = 'share-key-new-0123456789-0123456789-xyz';
const NAME = `<script>alert("x")</script> "Q" 'S' & 클립`;
const DAY = 86_400;

let server: TestServer;
let chromium: OvBrowser;
let host: Participant;
const apps: FastifyInstance[] = [];
const ROOM = 'share-room';
let clipA: any; // shared, watched, revoked
let clipB: any; // shared, then deleted

const api = apiClient(() => server.url);
const call = async (p: string, init: RequestInit & { json?: unknown } = {}) => {
  const res = await api(p, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
};
const share = (id: string, body: unknown = {}) => call(`/clips/${encodeURIComponent(id)}/share`, { method: 'POST', json: body });
/** A browser's Accept: error pages are HTML for it, JSON for programs. */
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
/** GET with no cookies and no referrer: what a person given the link does (in a browser). */
const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers: { accept: BROWSER, ...headers }, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

/** `<meta property|name="k" content="v">` of a page, decoded. */
function metaTags(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<meta (?:property|name)="([^"]+)" content="([^"]*)">/g)) out.set(m[1], decode(m[2]));
  return out;
}
const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);

async function recordClip(name: string, seconds = 2): Promise<any> {
  const started = await call(`/sessions/${ROOM}/clips`, { method: 'POST', json: { name } });
  assert.equal(started.status, 201, started.text);
  await sleep(seconds * 1000); // the clip's length
  return started.body;
}
async function stopAndWaitReady(id: string) {
  assert.equal((await call(`/clips/${encodeURIComponent(id)}/stop`, { method: 'POST' })).status, 200);
  for (let i = 0; i < 200; i++) {
    const c = await call(`/clips/${encodeURIComponent(id)}`);
    if (c.body.status === 'ready') return c.body;
    assert.notEqual(c.body.status, 'failed');
    await sleep(100);
  }
  throw new Error(`clip ${id} not ready in 20 s`);
}

/** Another app on the same OpenVidu and data folder (the same clips and salts), e.g. after a key rotation. */
async function sibling(env: Record<string, string>, dataDir = server.dataDir, authorize?: Authorize) {
  const { openviduUrl, openviduSecret } = server.app.services.config;
  const config = loadConfig({ DATA_DIR: dataDir, OPENVIDU_URL: openviduUrl, OPENVIDU_SECRET: openviduSecret, LOG_LEVEL: 'silent', ...env });
  const app = await buildApp({ config, logger: false, authorize });
  apps.push(app);
  return app;
}
/** A path and query of an absolute URL, for inject. */
const local = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};
const withParam = (url: string, key: string, value: string) => {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.href;
};

describe('share links and the watch page', () => {
  before(async () => {
    server = await startTestServer({ SHARE_KEYS: K_OLD, RATE_LIMIT_PER_MINUTE: '100000' });
    chromium = await startOvBrowser();
    const tok = await call(`/sessions/${ROOM}/token`, { method: 'POST', json: { name: 'Host' } });
    host = await chromium.participant();
    await host.join(tok.body.token);
    await host.publish();
    clipA = await stopAndWaitReady((await recordClip(NAME)).id);
  });

  after(async () => {
    for (const a of apps) await a.close();
    await host?.close();
    await chromium?.close();
    await server?.stop();
  });

  it('POST share: 201 {clipId, url, expiresAt}; expiresIn default 7 days, bounded; bad input → 400', async () => {
    const t0 = Date.now();
    const r = await share(clipA.id);
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ['clipId', 'expiresAt', 'url']);
    assert.equal(r.body.clipId, clipA.id);
    const u = new URL(r.body.url);
    assert.equal(u.origin, server.url);
    assert.equal(u.pathname, `/watch/${clipA.id}`);
    assert.deepEqual([...u.searchParams.keys()], ['exp', 'sig']);
    assert.match(u.searchParams.get('sig')!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Number(u.searchParams.get('exp')) * 1000, r.body.expiresAt);
    assert.ok(Math.abs(r.body.expiresAt - (t0 + 7 * DAY * 1000)) < 3000, `${r.body.expiresAt - t0}`);

    const short = await share(clipA.id, { expiresIn: 60 });
    assert.equal(short.status, 201);
    assert.ok(Math.abs(short.body.expiresAt - (Date.now() + 60_000)) < 3000);
    assert.equal((await share(clipA.id, { expiresIn: server.config.shareMaxSeconds })).status, 201);

    const max = server.config.shareMaxSeconds;
    for (const expiresIn of ['0', '-1', '-3600', '59', String(max + 1), '1e400', '3600.5', '"3600"', '"abc"', 'null', 'true', '[3600]', '{}']) {
      const body = `{"expiresIn":${expiresIn}}`;
      const res = await call(`/clips/${encodeURIComponent(clipA.id)}/share`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(res.status, 400, `${body} → ${res.text}`);
      assert.equal(res.body.code, 'OV_VALIDATION_FAILED', body);
    }
    assert.equal((await share(clipA.id, { expiresIn: 3600, other: 1 })).status, 400);
    assert.equal((await call(`/clips/${encodeURIComponent(clipA.id)}/share?x=1`, { method: 'POST', json: {} })).status, 400);
    const unknown = await share('no-such-room~9');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'OV_CLIP_NOT_FOUND');
  });

  it('the watch page with no cookies: 200, escaped, preview tags with absolute URLs that answer (media Range 206)', async () => {
    const link = (await share(clipA.id)).body.url as string;
    const res = await get(link);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const csp = res.headers.get('content-security-policy')!;
    assert.match(csp, /^default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'sha256-[A-Za-z0-9+/=]{44}';/);
    assert.doesNotMatch(csp, /script-src|unsafe/);
    assert.equal(res.headers.get('set-cookie'), null);
    const html = res.text;
    assert.match(html, /<meta name="robots" content="noindex, nofollow">/);
    assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1/);
    assert.doesNotMatch(html, /<script/i, 'no script at all, and the name is escaped');
    assert.match(html, /<h1 dir="auto">&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &quot;Q&quot; &#39;S&#39; &amp; 클립<\/h1>/);
    assert.match(html, /<title>&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &quot;Q&quot; &#39;S&#39; &amp; 클립<\/title>/);
    const q = new URL(link).search.replace(/&/g, '&amp;');
    assert.ok(
      html.includes(
        `<video controls playsinline preload="metadata" poster="${encodeURIComponent(clipA.id)}/thumbnail${q}" src="${encodeURIComponent(clipA.id)}/media${q}">`,
      ),
      html,
    );

    const tags = metaTags(html);
    assert.equal(tags.get('og:title'), NAME);
    assert.equal(tags.get('twitter:title'), NAME);
    assert.equal(tags.get('og:type'), 'video.other');
    assert.equal(tags.get('og:url'), link);
    assert.equal(tags.get('og:video:type'), 'video/mp4');
    assert.equal(`${tags.get('og:video:width')}x${tags.get('og:video:height')}`, server.config.clip.resolution);
    assert.equal(tags.get('twitter:card'), 'summary_large_image');
    assert.equal(tags.get('og:video:secure_url'), undefined, 'plain http: no secure_url');
    assert.equal(tags.get('twitter:image'), tags.get('og:image'));
    const base = `${server.url}/watch/${clipA.id}`;
    assert.equal(tags.get('og:image'), `${base}/thumbnail${new URL(link).search}`);
    assert.equal(tags.get('og:video'), `${base}/media${new URL(link).search}`);

    const thumb = await fetch(tags.get('og:image')!);
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
    assert.equal(thumb.headers.get('cross-origin-resource-policy'), 'cross-origin', 'chat apps may show it from their origin');
    assert.equal(
      Buffer.from(await thumb.arrayBuffer())
        .subarray(0, 3)
        .toString('hex'),
      'ffd8ff',
    );
    const media = await fetch(tags.get('og:video')!, { headers: { Range: 'bytes=0-99' } });
    assert.equal(media.status, 206);
    assert.equal(media.headers.get('content-type'), 'video/mp4');
    assert.match(media.headers.get('content-range')!, /^bytes 0-99\/\d+$/);
    assert.equal(
      Buffer.from(await media.arrayBuffer())
        .subarray(4, 8)
        .toString(),
      'ftyp',
    );
    const whole = await fetch(tags.get('og:video')!);
    assert.equal(whole.status, 200);
    assert.equal(Number(whole.headers.get('content-length')), (await whole.arrayBuffer()).byteLength);

    const head = await fetch(link, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('plays in a fresh Chromium context (no cookies), with no CSP violation and no script', async () => {
    const link = (await share(clipA.id)).body.url as string;
    const context = await chromium.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });
      assert.equal((await page.goto(link))?.status(), 200);
      // Muted, so autoplay is allowed; a decode error or a blocked request shows as v.error.
      await page.evaluate(() => {
        const v = document.querySelector('video')!;
        v.muted = true;
        void v.play().catch(() => {});
      });
      const state = await page.waitForFunction(
        () => {
          const v = document.querySelector('video')!;
          if (v.error) return { error: v.error.code };
          return v.currentTime > 0.2 ? { width: v.videoWidth, fits: v.getBoundingClientRect().width <= innerWidth, played: v.currentTime } : false;
        },
        undefined,
        { timeout: 15_000, polling: 100 },
      );
      const s = (await state.jsonValue()) as { error?: number; width?: number; fits?: boolean };
      assert.equal(s.error, undefined, JSON.stringify(s));
      assert.ok(s.width! > 0 && s.fits, JSON.stringify(s));
      assert.deepEqual(problems, []);
      assert.deepEqual(await context.cookies(), []);
    } finally {
      await context.close();
    }
  });

  it('an altered signature, expiry or clip id → 403; malformed → 400; tracking fields tolerated on the page only', async () => {
    clipB = await stopAndWaitReady((await recordClip('second')).id);
    const link = (await share(clipA.id)).body.url as string;
    assert.equal((await share(clipB.id)).status, 201);
    const sig = new URL(link).searchParams.get('sig')!;
    const exp = new URL(link).searchParams.get('exp')!;
    const oneChar = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11);
    const forged = [
      withParam(link, 'sig', oneChar),
      withParam(link, 'exp', String(Number(exp) + 1)),
      withParam(link, 'exp', String(Number(exp) + 365 * DAY)),
      link.replace(`/watch/${clipA.id}?`, `/watch/${clipB.id}?`),
    ];
    for (const url of forged) {
      const page = await get(url);
      assert.equal(page.status, 403, url);
      assert.match(page.headers.get('content-type')!, /^text\/html/);
      assert.match(page.text, /This link is not valid/);
      assert.equal(page.headers.get('cache-control'), 'no-store');
      for (const kind of ['media', 'thumbnail']) {
        const file = await get(url.replace('?', `/${kind}?`));
        assert.equal(file.status, 403, `${kind} ${url}`);
        assert.deepEqual(JSON.parse(file.text), { statusCode: 403, error: 'Forbidden', message: 'This link is not valid', code: 'OV_SHARE_LINK_INVALID' });
      }
    }
    const ko = await get(forged[0], { 'Accept-Language': 'ko-KR,ko;q=0.9,en;q=0.8' });
    assert.match(ko.text, /<html lang="ko">/);
    assert.match(ko.text, /유효하지 않은 링크입니다/);

    const malformed = [
      withParam(link, 'sig', sig.slice(0, 42)),
      withParam(link, 'sig', `${sig}A`),
      withParam(link, 'sig', sig.replace(/.$/, sig.endsWith('B') ? 'C' : 'B')), // not the canonical spelling
      withParam(link, 'exp', `0${exp}`),
      withParam(link, 'exp', `${exp}.0`),
      withParam(link, 'exp', '1e10'),
      withParam(link, 'exp', '-1'),
      `${link}&exp=${exp}`,
      `${link}&other=1`,
      link.replace(/&sig=.*/, ''),
      link.replace(/\?.*/, ''),
    ];
    for (const url of malformed) {
      const page = await get(url);
      assert.equal(page.status, 400, url);
      assert.match(page.text, /This link is not valid/);
      const media = await get(url.replace(`/watch/${clipA.id}`, `/watch/${clipA.id}/media`));
      assert.equal(media.status, 400, url);
      assert.equal(JSON.parse(media.text).code, 'OV_VALIDATION_FAILED');
    }
    const tracked = `${link}&utm_source=chat&utm_medium=x&fbclid=IwAR0abc&gclid=1`;
    assert.equal((await get(tracked)).status, 200);
    assert.doesNotMatch((await get(tracked)).text, /IwAR0abc|utm_/, 'never written into the page');
    assert.equal((await get(`${link.replace('?', '/media?')}&utm_source=chat`)).status, 400, 'the media takes exp and sig only');
    assert.equal((await get(link.replace(clipA.id, 'no-such-room~5'))).status, 404, 'an unknown clip');
  });

  it('an expired link → 403 "expired" (a genuine one only); revoked → 403; a deleted clip → 404', async () => {
    const ring = new ShareKeyRing([K_OLD]);
    const salt = server.app.services.clipMeta.get(clipA.id)!.shareSalt!;
    const past = Math.floor(Date.now() / 1000) - 1;
    const expired = `${server.url}/watch/${clipA.id}?exp=${past}&sig=${ring.sign(clipA.id, past, salt)}`;
    const page = await get(expired);
    assert.equal(page.status, 403);
    assert.match(page.text, /This link has expired/);
    assert.equal(JSON.parse((await get(expired.replace('?', '/media?'))).text).code, 'OV_SHARE_LINK_EXPIRED');
    const soon = Math.floor(Date.now() / 1000) + 30;
    assert.equal((await get(`${server.url}/watch/${clipA.id}?exp=${soon}&sig=${ring.sign(clipA.id, soon, salt)}`)).status, 200, 'the same, unexpired');

    const links = [(await share(clipA.id)).body.url, (await share(clipA.id, { expiresIn: 3600 })).body.url];
    for (const l of links) assert.equal((await get(l)).status, 200);
    const revoke = await call(`/clips/${encodeURIComponent(clipA.id)}/share`, { method: 'DELETE' });
    assert.equal(revoke.status, 204);
    for (const l of links) {
      const r = await get(l);
      assert.equal(r.status, 403);
      assert.match(r.text, /This link is not valid/);
      assert.equal((await get(l.replace('?', '/media?'))).status, 403);
    }
    assert.equal((await get((await share(clipA.id)).body.url)).status, 200, 'a link made after works');
    assert.equal((await call('/clips/no-such-room~4/share', { method: 'DELETE' })).status, 404);

    const linkB = (await share(clipB.id)).body.url as string;
    assert.equal((await get(linkB)).status, 200);
    assert.equal((await call(`/clips/${encodeURIComponent(clipB.id)}`, { method: 'DELETE' })).status, 204);
    const gone = await get(linkB);
    assert.equal(gone.status, 404);
    assert.match(gone.text, /This clip is no longer available/);
    const goneMedia = await get(linkB.replace('?', '/media?'));
    assert.equal(goneMedia.status, 404);
    assert.equal(JSON.parse(goneMedia.text).code, 'OV_CLIP_NOT_FOUND');
  });

  it('a clip not ready: POST share → 409; a link to it → 409', async () => {
    const rec = await recordClip('recording', 1);
    const r = await share(rec.id);
    assert.equal(r.status, 409);
    assert.equal(r.body.code, 'OV_CLIP_NOT_READY');
    // A link made for it anyway (with the server's key and a salt of its own) is refused until it is ready.
    const clip = (await call(`/clips/${encodeURIComponent(rec.id)}`)).body;
    const salt = (await server.app.services.clipMeta.shareSalt(clip, true))!;
    const exp = Math.floor(Date.now() / 1000) + 600;
    const link = `${server.url}/watch/${rec.id}?exp=${exp}&sig=${new ShareKeyRing([K_OLD]).sign(rec.id, exp, salt)}`;
    const page = await get(link);
    assert.equal(page.status, 409);
    assert.match(page.text, /This clip is not ready yet/);
    assert.equal(JSON.parse((await get(link.replace('?', '/media?'))).text).code, 'OV_CLIP_NOT_READY');
    await stopAndWaitReady(rec.id);
    assert.equal((await get(link)).status, 200);
  });

  it('key rotation: an old link works while its key is second in SHARE_KEYS, not once removed', async () => {
    const link = (await share(clipA.id)).body.url as string;
    const rotated = await sibling({ SHARE_KEYS: `${K_NEW},${K_OLD}` });
    assert.equal((await rotated.inject({ url: local(link) })).statusCode, 200);
    const fresh = await rotated.inject({ method: 'POST', url: `/api/clips/${clipA.id}/share`, payload: {} });
    assert.equal(fresh.statusCode, 201);
    assert.equal((await rotated.inject({ url: local(fresh.json().url) })).statusCode, 200);
    const removed = await sibling({ SHARE_KEYS: K_NEW });
    assert.equal((await removed.inject({ url: local(link) })).statusCode, 403);
    assert.equal((await removed.inject({ url: local(fresh.json().url) })).statusCode, 200, 'signed with the new key');
  });

  it('without SHARE_KEYS: a 0600 key file made at first start and reused after a restart', async () => {
    const dir = await mkdtemp(path.join(server.dataDir, 'keyfile-'));
    const file = path.join(dir, 'share-key');
    const first = await sibling({}, dir);
    // This data folder has no metadata yet: the share makes the clip's salt here.
    const link = (await first.inject({ method: 'POST', url: `/api/clips/${clipA.id}/share`, payload: {}, headers: { host: 'video.test' } })).json().url;
    assert.match(link, /^http:\/\/video\.test\/watch\//);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const key = await readFile(file, 'utf8');
    await first.close();
    const again = await sibling({}, dir);
    assert.equal((await again.inject({ url: local(link) })).statusCode, 200, 'the link survives the restart');
    assert.equal(await readFile(file, 'utf8'), key);
    await rm(dir, { recursive: true, force: true });
  });

  it('PUBLIC_URL: links and preview tags on the public origin, og:video:secure_url over https; a bad Host is refused', async () => {
    const pub = await sibling({ SHARE_KEYS: K_OLD, PUBLIC_URL: 'https://video.example.com/clips/' });
    const made = (await pub.inject({ method: 'POST', url: `/api/clips/${clipA.id}/share`, payload: {} })).json();
    assert.match(made.url, new RegExp(`^https://video\\.example\\.com/clips/watch/${clipA.id}\\?exp=\\d+&sig=`));
    const page = await pub.inject({ url: local(made.url).replace('/clips', '') });
    assert.equal(page.statusCode, 200);
    const tags = metaTags(page.body);
    assert.equal(tags.get('og:url'), made.url);
    assert.equal(tags.get('og:video:secure_url'), tags.get('og:video'));
    assert.match(tags.get('og:image')!, /^https:\/\/video\.example\.com\/clips\/watch\/.+\/thumbnail\?exp=/);

    const own = await sibling({ SHARE_KEYS: K_OLD });
    for (const bad of ['evil.com/x?', 'a"b', 'a b', '<x>', 'a@b', 'a:b:c']) {
      const r = await own.inject({ method: 'POST', url: `/api/clips/${clipA.id}/share`, payload: {}, headers: { host: bad } });
      assert.equal(r.statusCode, 400, `Host ${bad}: ${r.body}`);
    }
  });

  it('the page and its media follow a trim, a restore and a rename (nothing stored)', async () => {
    const link = (await share(clipA.id)).body.url as string;
    const mediaUrl = link.replace('?', '/media?');
    const size = async (url: string) => (await fetch(url)).arrayBuffer().then((b) => b.byteLength);
    assert.equal(await size(mediaUrl), clipA.size);
    const trimmed = await call(`/clips/${encodeURIComponent(clipA.id)}/trim`, { method: 'POST', json: { start: 0.5, end: clipA.duration } });
    assert.equal(trimmed.status, 200, trimmed.text);
    const cut = await size(`${server.url}/api/clips/${encodeURIComponent(clipA.id)}/media`);
    assert.notEqual(cut, clipA.size);
    assert.equal(await size(mediaUrl), cut, 'the share link serves the cut');
    const ranged = await fetch(mediaUrl, { headers: { Range: 'bytes=0-9' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 0-9/${cut}`);
    assert.match((await get(link)).text, new RegExp(`<p>0:0${Math.floor(trimmed.body.duration)}</p>`));
    assert.equal((await call(`/clips/${encodeURIComponent(clipA.id)}/trim`, { method: 'DELETE' })).status, 200);
    assert.equal(await size(mediaUrl), clipA.size);
    assert.equal((await call(`/clips/${encodeURIComponent(clipA.id)}`, { method: 'PATCH', json: { name: '새 이름' } })).status, 200);
    assert.equal(metaTags((await get(link)).text).get('og:title'), '새 이름');
  });

  it("the host's authorize hook decides share:watch and clip:share (a refused page is an HTML page)", async () => {
    const link = (await share(clipA.id)).body.url as string;
    const asked: [Action, Resource][] = [];
    const closed = await sibling({ SHARE_KEYS: K_OLD }, server.dataDir, (_req, action, resource) => {
      asked.push([action, resource]);
      return action !== 'share:watch' && action !== 'clip:share';
    });
    const page = await closed.inject({ url: local(link), headers: { 'accept-language': 'ko', accept: BROWSER } });
    assert.equal(page.statusCode, 403);
    const program = await closed.inject({ url: local(link) });
    assert.equal(program.statusCode, 403);
    assert.equal(program.json().code, 'OV_FORBIDDEN', 'without Accept: text/html, the JSON error of every route');
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.match(page.body, /이 클립을 볼 권한이 없습니다/);
    assert.equal(page.headers['content-security-policy'], (await get(link)).headers.get('content-security-policy'));
    const media = await closed.inject({ url: local(link).replace('?', '/media?') });
    assert.equal(media.statusCode, 403);
    assert.equal(media.json().code, 'OV_FORBIDDEN');
    for (const method of ['POST', 'DELETE'] as const)
      assert.equal((await closed.inject({ method, url: `/api/clips/${clipA.id}/share`, payload: {} })).statusCode, 403);
    const resource = { type: 'clip', id: clipA.id, sessionId: ROOM };
    assert.deepEqual(asked, [
      ['share:watch', resource],
      ['share:watch', resource],
      ['share:watch', resource],
      ['clip:share', resource],
      ['clip:share', resource],
    ]);
  });

  it('rate limits: over its limit the page answers a 429 page, the media JSON', async () => {
    const link = (await share(clipA.id)).body.url as string;
    const limited = await sibling({ SHARE_KEYS: K_OLD, RATE_LIMIT_PER_MINUTE: '1' });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await limited.inject({ url: local(link) })).statusCode);
    assert.deepEqual(codes, [200, 200, 429]);
    const busy = await limited.inject({ url: local(link), headers: { 'accept-language': 'ko', accept: BROWSER } });
    assert.match(busy.headers['content-type'] as string, /^text\/html/);
    assert.match(busy.body, /요청이 너무 많습니다/);
    const media = [];
    for (let i = 0; i < 21; i++) media.push((await limited.inject({ url: local(link).replace('?', '/media?'), headers: { range: 'bytes=0-0' } })).statusCode);
    assert.deepEqual([media[0], media[19], media[20]], [206, 206, 429]);
  });

  it('time to first byte, p50 of 20 (loopback): the page, and the first media byte', async () => {
    const link = (await share(clipA.id)).body.url as string;
    const ttfb = (url: string) =>
      new Promise<number>((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        http
          .get(url, { agent: false }, (res) => {
            res.once('data', () => {
              resolve(Number(process.hrtime.bigint() - t0) / 1e6);
              res.destroy();
            });
            res.on('error', () => {});
          })
          .on('error', reject);
      });
    const p50 = async (url: string) => {
      const times = [];
      for (let i = 0; i < 20; i++) times.push(await ttfb(url));
      return times.sort((a, b) => a - b)[9];
    };
    const page = await p50(link);
    const media = await p50(link.replace('?', '/media?'));
    // Trimmed: the cut is served from the server's disk instead of OpenVidu.
    assert.equal((await call(`/clips/${encodeURIComponent(clipA.id)}/trim`, { method: 'POST', json: { start: 0.5, end: clipA.duration } })).status, 200);
    const cut = await p50(link.replace('?', '/media?'));
    console.log(
      `    TTFB p50 of 20, new connection each: watch page ${page.toFixed(1)} ms; first media byte ${media.toFixed(1)} ms (original), ${cut.toFixed(1)} ms (trimmed)`,
    );
    assert.ok(page < 1000 && media < 1000 && cut < 1000);
  });
});

describe('pickLang', () => {
  it('Korean or English by Accept-Language and its q values', () => {
    for (const [header, want] of [
      [undefined, 'en'],
      ['', 'en'],
      ['ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7', 'ko'],
      ['en-US,en;q=0.9,ko;q=0.8', 'en'],
      ['fr-FR,ko;q=0.5', 'ko'],
      ['fr, de', 'en'],
      ['ko;q=0.2, en;q=0.3', 'en'],
      ['ko;q=0', 'en'],
      ['KO', 'ko'],
      ['ko;q=abc', 'en'],
      [`${'x,'.repeat(1000)}ko`, 'en'],
    ] as const)
      assert.equal(pickLang(header), want, String(header));
  });
});
