import { elementUpdated, expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { OvClipList } from '../../components/clip-list/clip-list.js';
import { clip, FakeClipList, FakeFeed } from './fakes.js';

const $ = (el: Element, sel: string) => el.shadowRoot!.querySelector(sel) as HTMLElement | null;
const $$ = (el: Element, sel: string) => [...el.shadowRoot!.querySelectorAll(sel)] as HTMLElement[];

async function list(clips = [clip('a', 'ready'), clip('b', 'processing', { createdAt: Date.UTC(2026, 0, 3) })], tpl?: ReturnType<typeof html>) {
  FakeClipList.feed = new FakeFeed();
  FakeClipList.feed.clips = clips;
  const el = await fixture<OvClipList>(tpl ?? html`<fake-clip-list session="demo" api="/api"></fake-clip-list>`);
  await waitUntil(() => !$(el, '[part~="base"]')!.getAttribute('aria-busy')?.includes('true'));
  await elementUpdated(el);
  return el;
}

function player(el: Element) {
  return el.shadowRoot!.querySelector('ov-media-player')!;
}

describe('<ov-clip-list>', () => {
  it('empty state, accessible', async () => {
    const el = await list([]);
    expect($(el, '[part="empty"]')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('error state with Retry; ov-error fires', async () => {
    FakeClipList.feed = new FakeFeed();
    FakeClipList.feed.fail = Object.assign(new Error('boom'), { status: 500 });
    const el = document.createElement('fake-clip-list') as OvClipList;
    el.session = 'demo';
    const err = oneEvent(el, 'ov-error');
    (await fixture(html`<div></div>`)).append(el);
    expect((await err).detail.status).to.equal(500);
    await elementUpdated(el);
    expect($(el, '[part="error"]')).to.exist;
    await expect(el).to.be.accessible();
    FakeClipList.feed.fail = undefined;
    FakeClipList.feed.clips = [clip('a', 'ready')];
    $(el, '[part="retry-button"]')!.click();
    await waitUntil(() => $$(el, '[part="item"]').length === 1);
  });

  it('lists clips newest first with name, duration, time, status badge; thumbnail only when ready; accessible', async () => {
    const el = await list();
    const items = $$(el, '[part="item"]');
    expect(items.map((i) => i.dataset.id)).to.deep.equal(['b', 'a']);
    const ready = items[1];
    expect(ready.querySelector('[part="name"]')!.textContent).to.equal('Clip a');
    expect(ready.querySelector('[part="meta"]')!.textContent).to.contain('1:15');
    expect(ready.querySelector('time')!.getAttribute('datetime')).to.equal('2026-01-02T03:04:05.000Z');
    expect(ready.querySelector('[part~="status-ready"]')!.textContent).to.equal('Ready');
    const img = ready.querySelector('img')!;
    expect(img.getAttribute('loading')).to.equal('lazy');
    expect(items[0].querySelector('img')).to.equal(null);
    expect(items[0].querySelector('button[part="clip"]')).to.equal(null);
    expect(items[0].querySelector('[part~="status-processing"]')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('renders a clip name with markup as text', async () => {
    const el = await list([clip('x', 'processing', { name: '<img src=x onerror=alert(1)>' })]);
    expect(el.shadowRoot!.querySelector('img')).to.equal(null);
    expect($(el, '[part="name"]')!.textContent).to.equal('<img src=x onerror=alert(1)>');
  });

  it('live update: a clip becoming ready updates in place and is announced', async () => {
    const el = await list([clip('a', 'processing')]);
    FakeClipList.feed.push(clip('a', 'ready'));
    await elementUpdated(el);
    expect($(el, '[part~="status-ready"]')).to.exist;
    expect($(el, '[aria-live="polite"]')!.textContent).to.contain('Clip a');
    FakeClipList.feed.push(clip('n', 'recording', { createdAt: Date.UTC(2027, 0, 1) }));
    await elementUpdated(el);
    expect($$(el, '[part="item"]')[0].dataset.id).to.equal('n');
  });

  it('follows the clip events of the <ov-live-room> named by `for`', async () => {
    FakeClipList.feed = new FakeFeed();
    const wrap = await fixture(html`<div><fake-live-room id="r" session="demo"></fake-live-room><fake-clip-list for="r"></fake-clip-list></div>`);
    const el = wrap.querySelector('fake-clip-list') as OvClipList;
    await waitUntil(() => $(el, '[part="empty"]'));
    expect(FakeClipList.requests.at(-1)!.session).to.equal('demo');
    const room = wrap.querySelector('#r')!;
    room.dispatchEvent(new CustomEvent('ov-clip-started', { bubbles: true, composed: true, detail: { clip: clip('r1', 'recording') } }));
    await elementUpdated(el);
    expect($$(el, '[part="item"]').length).to.equal(1);
    room.dispatchEvent(new CustomEvent('ov-clip-ready', { bubbles: true, composed: true, detail: { clip: clip('r1', 'ready') } }));
    await elementUpdated(el);
    expect($(el, '[part~="status-ready"]')).to.exist;
  });

  it('a ready clip opens the player (click fires ov-clip-select); Esc closes and returns focus', async () => {
    const el = await list([clip('a', 'ready')]);
    const btn = $(el, 'button[part="clip"]')!;
    btn.focus();
    setTimeout(() => btn.click());
    const sel = await oneEvent(el, 'ov-clip-select');
    expect(sel.detail.clip.id).to.equal('a');
    const p = player(el);
    await waitUntil(() => (p as unknown as { open: boolean }).open);
    const video = p.shadowRoot!.querySelector('video')!;
    expect(video.src).to.equal(new URL('/api/clips/a/media', location.href).href);
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'Escape' });
    await waitUntil(() => !(p as unknown as { open: boolean }).open);
    expect(el.shadowRoot!.activeElement).to.equal(btn);
  });

  it('Enter and Space open the player; Tab stays inside the dialog', async () => {
    const el = await list([clip('a', 'ready')]);
    const btn = $(el, 'button[part="clip"]')!;
    const p = player(el) as unknown as { open: boolean; close(): void; shadowRoot: ShadowRoot };
    btn.focus();
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => p.open);
    for (let i = 0; i < 4; i++) {
      if (i % 2) await sendKeys({ down: 'Shift' });
      await sendKeys({ press: 'Tab' });
      if (i % 2) await sendKeys({ up: 'Shift' });
      expect(p.shadowRoot.activeElement, `after Tab #${i + 1}`).to.exist;
    }
    await sendKeys({ press: 'Tab' });
    await sendKeys({ press: 'Tab' });
    expect(p.shadowRoot.activeElement).to.exist;
    p.close();
    await waitUntil(() => !p.open);
    btn.focus();
    await sendKeys({ press: ' ' }); // "Space" is a key name Chromium knows and Firefox does not
    await waitUntil(() => p.open);
    p.close();
  });

  it('resolves a relative mediaUrl against the api origin', async () => {
    const el = await list([clip('a', 'ready')], html`<fake-clip-list session="demo" api="https://media.example/api"></fake-clip-list>`);
    $(el, 'button[part="clip"]')!.click();
    const p = player(el);
    await waitUntil(() => (p as unknown as { open: boolean }).open);
    expect(p.shadowRoot!.querySelector('video')!.getAttribute('src')).to.equal('https://media.example/api/clips/a/media');
    (p as unknown as { close(): void }).close();
  });

  it('delete asks for confirmation inline; Cancel keeps the clip; Delete removes it and fires ov-clip-deleted', async () => {
    const el = await list([clip('a', 'ready')]);
    $(el, '[part="delete-button"]')!.click();
    await elementUpdated(el);
    expect($(el, '[part="confirm"]')!.textContent).to.contain('Clip a');
    expect(FakeClipList.feed.removed).to.deep.equal([]);
    await expect(el).to.be.accessible();
    $(el, '[part="cancel-button"]')!.click();
    await elementUpdated(el);
    expect($(el, '[part="confirm"]')).to.equal(null);
    $(el, '[part="delete-button"]')!.click();
    await elementUpdated(el);
    setTimeout(() => $(el, '[part="confirm-button"]')!.click());
    const ev = await oneEvent(el, 'ov-clip-deleted');
    expect(ev.detail).to.deep.equal({ id: 'a' });
    expect(FakeClipList.feed.removed).to.deep.equal(['a']);
    await elementUpdated(el);
    expect($$(el, '[part="item"]').length).to.equal(0);
  });

  it('no-delete hides the delete buttons', async () => {
    const el = await list([clip('a', 'ready')], html`<fake-clip-list session="demo" no-delete></fake-clip-list>`);
    expect($(el, '[part="delete-button"]')).to.equal(null);
  });

  it('lang="ko" formats statuses in Korean', async () => {
    const el = await list([clip('a', 'ready')], html`<fake-clip-list session="demo" lang="ko"></fake-clip-list>`);
    expect($(el, '[part~="status"]')!.textContent).to.equal('준비됨');
  });
});
