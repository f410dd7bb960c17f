// <ov-clip-list>: inline rename, edits arriving live (the linked room, the feed), the opt-outs and the public methods.
import { elementUpdated, expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { OvClipList } from '../../components/clip-list/clip-list.js';
import type { OvClipRenamedEvent } from '../../components/events/ov-clip-renamed.js';
import type { Clip } from '../../src/types.js';
import { $, $$, clip, FakeClipList, FakeFeed, mountList } from './fakes.js';

const nameOf = (el: Element, id: string) => $(el, `li[data-id="${id}"] [part~="name"]`)?.textContent;
const input = (el: Element) => $(el, '[part~="rename-input"]') as HTMLInputElement | null;

/** Opens the inline rename of clip `id` with a click on its Rename button. */
async function startRename(el: OvClipList, id: string) {
  $(el, `li[data-id="${id}"] [part~="rename-button"]`)!.click();
  await waitUntil(() => input(el) && el.shadowRoot!.activeElement === input(el), 'the name field has the focus');
}

/** Types `text` into the focused field, replacing what is selected. */
async function type(text: string) {
  await sendKeys({ type: text });
}

describe('<ov-clip-list> inline rename', () => {
  it('a Rename button per clip (any status), named after the clip; the field is selected, limited to 100, accessible', async () => {
    const el = await mountList([clip('a', 'ready'), clip('r', 'recording', { createdAt: Date.UTC(2026, 0, 3) })]);
    const buttons = $$(el, '[part~="rename-button"]');
    expect(buttons.map((b) => b.getAttribute('aria-label'))).to.deep.equal(['Rename: Clip r', 'Rename: Clip a']);
    await startRename(el, 'a');
    const field = input(el)!;
    expect(field.value).to.equal('Clip a');
    expect([field.selectionStart, field.selectionEnd]).to.deep.equal([0, 6]);
    expect(field.maxLength).to.equal(100);
    expect(field.getAttribute('aria-label')).to.equal('Rename');
    expect($(el, 'li[data-id="a"] button[part~="clip"]'), 'the play button gives way to the field').to.equal(null);
    await expect(el).to.be.accessible();
  });

  it('Enter saves: the new name shows at once (before the answer), ov-clip-renamed follows, focus returns to Rename', async () => {
    const el = await mountList([clip('a', 'ready')]);
    let answer!: () => void;
    FakeClipList.feed.editGate = new Promise<void>((r) => (answer = r));
    await startRename(el, 'a');
    await type('  Goal!  ');
    const renamed = oneEvent(el, 'ov-clip-renamed') as Promise<OvClipRenamedEvent>;
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => nameOf(el, 'a') === 'Goal!', 'the new name shows while the server has not answered');
    expect(FakeClipList.feed.edits).to.deep.equal(['rename:a:Goal!']);
    expect(input(el)).to.equal(null);
    expect(el.shadowRoot!.activeElement).to.equal($(el, 'li[data-id="a"] [part~="rename-button"]'));
    answer();
    const ev = await renamed;
    expect(ev.detail.clip.name).to.equal('Goal!');
    expect(ev.detail.clip.updatedAt).to.be.a('number');
  });

  it('the Save button saves (a click does not blur the field first)', async () => {
    const el = await mountList([clip('a', 'ready')]);
    await startRename(el, 'a');
    await type('Saved by click');
    const save = $(el, '[part~="rename-save"]')!;
    const r = save.getBoundingClientRect();
    const { sendMouse, resetMouse } = await import('@web/test-runner-commands');
    await sendMouse({ type: 'click', position: [Math.round(r.x + r.width / 2), Math.round(r.y + r.height / 2)] });
    await resetMouse();
    await waitUntil(() => FakeClipList.feed.edits.length === 1, 'the rename is sent');
    expect(FakeClipList.feed.edits).to.deep.equal(['rename:a:Saved by click']);
  });

  it('Esc cancels: nothing sent, the old name, focus back on Rename; an unchanged or empty name sends nothing', async () => {
    const el = await mountList([clip('a', 'ready')]);
    await startRename(el, 'a');
    await type('Never mind');
    await sendKeys({ press: 'Escape' });
    await waitUntil(() => !input(el), 'the field closes');
    expect(nameOf(el, 'a')).to.equal('Clip a');
    expect(el.shadowRoot!.activeElement).to.equal($(el, 'li[data-id="a"] [part~="rename-button"]'));
    await startRename(el, 'a');
    await sendKeys({ press: 'Enter' }); // unchanged
    await startRename(el, 'a');
    await sendKeys({ press: 'Backspace' });
    await sendKeys({ press: 'Enter' }); // empty
    await waitUntil(() => !input(el));
    expect(FakeClipList.feed.edits).to.deep.equal([]);
  });

  it('focus leaving the rename cancels it (Tab past Save and Cancel)', async () => {
    const el = await mountList([clip('a', 'ready')]);
    await startRename(el, 'a');
    await type('Half typed');
    await sendKeys({ press: 'Tab' }); // Save: still inside
    expect(input(el)).to.exist;
    await sendKeys({ press: 'Tab' }); // Cancel
    expect(input(el)).to.exist;
    await sendKeys({ press: 'Tab' }); // out
    await waitUntil(() => !input(el), 'the field closes');
    expect(nameOf(el, 'a')).to.equal('Clip a');
    expect(FakeClipList.feed.edits).to.deep.equal([]);
  });

  it('a refused rename shows the old name again, fires ov-error and says so', async () => {
    const el = await mountList([clip('a', 'ready')]);
    let answer!: () => void;
    FakeClipList.feed.editGate = new Promise<void>((r) => (answer = r));
    FakeClipList.feed.editError = Object.assign(new Error('400 bidi'), { code: 'CLIP_FAILED', status: 400 });
    await startRename(el, 'a');
    await type('Bad name');
    const error = oneEvent(el, 'ov-error');
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => nameOf(el, 'a') === 'Bad name');
    answer();
    expect((await error).detail.status).to.equal(400);
    await waitUntil(() => nameOf(el, 'a') === 'Clip a', 'the old name is back');
    expect($(el, '[aria-live="polite"]')!.textContent).to.equal('The change could not be saved.');
  });
});

describe('<ov-clip-list> edits arriving live', () => {
  const edit = (over: Partial<Clip>) => clip('a', 'ready', { updatedAt: Date.UTC(2026, 0, 6), ...over });

  it('an ov-clip-updated from the linked room applies only to the same clip, and only when newer', async () => {
    FakeClipList.feed = new FakeFeed();
    FakeClipList.feed.clips = [clip('a', 'ready', { updatedAt: Date.UTC(2026, 0, 5) })];
    const wrap = await fixture(html`<div><fake-live-room id="lr" session="demo"></fake-live-room><fake-clip-list for="lr"></fake-clip-list></div>`);
    const el = wrap.querySelector('fake-clip-list') as OvClipList;
    await waitUntil(() => nameOf(el, 'a') === 'Clip a', 'the list loads');
    const room = wrap.querySelector('#lr')!;
    const send = async (c: Clip, from: Element = room) => {
      from.dispatchEvent(new CustomEvent('ov-clip-updated', { bubbles: true, composed: true, detail: { clip: c } }));
      await elementUpdated(el);
    };
    await send(edit({ name: 'Older', updatedAt: Date.UTC(2026, 0, 4) }));
    await send(edit({ name: 'Same clip id, other recording', createdAt: Date.UTC(2025, 0, 1) }));
    await send(edit({ name: 'From a stranger' }), wrap);
    expect(nameOf(el, 'a')).to.equal('Clip a');
    await send(edit({ name: 'Newer', trim: { start: 2, end: 10 }, originalDuration: 75, duration: 8 }));
    expect(nameOf(el, 'a')).to.equal('Newer');
    expect($(el, '[part~="trimmed"]')!.textContent).to.equal('Trimmed');
    expect($(el, '[part~="meta"]')!.textContent).to.contain('0:08');
    // A status news sent before that edit does not bring the old name back.
    room.dispatchEvent(new CustomEvent('ov-clip-ready', { bubbles: true, composed: true, detail: { clip: clip('a', 'ready') } }));
    await elementUpdated(el);
    expect(nameOf(el, 'a')).to.equal('Newer');
  });

  it("the feed's updates: a restore removes the hint; an older edit afterwards changes nothing", async () => {
    const el = await mountList([clip('a', 'ready', { trim: { start: 1, end: 5 }, originalDuration: 75, duration: 4, updatedAt: 1000 })]);
    expect($(el, '[part~="trimmed"]')).to.exist;
    FakeClipList.feed.pushUpdate(edit({ updatedAt: 3000 }));
    await elementUpdated(el);
    expect($(el, '[part~="trimmed"]')).to.equal(null);
    expect($(el, '[part~="meta"]')!.textContent).to.contain('1:15');
    FakeClipList.feed.pushUpdate(edit({ name: 'Late', trim: { start: 1, end: 5 }, updatedAt: 2000 }));
    await elementUpdated(el);
    expect(nameOf(el, 'a')).to.equal('Clip a');
    expect($(el, '[part~="trimmed"]')).to.equal(null);
  });
});

describe('<ov-clip-list> opt-outs and methods', () => {
  it('no-edit hides Rename (list and player) and Trim; no-share hides Copy link; no-download hides Download', async () => {
    const el = await mountList([clip('a', 'ready')], html`<fake-clip-list session="demo" no-edit no-share no-download></fake-clip-list>`);
    expect($(el, '[part~="rename-button"]')).to.equal(null);
    $(el, 'button[part~="clip"]')!.click();
    const player = el.shadowRoot!.querySelector('ov-media-player')!;
    await waitUntil(() => player.shadowRoot!.querySelector('dialog')!.open);
    for (const part of ['rename-button', 'trim-button', 'copy-link', 'download'])
      expect(player.shadowRoot!.querySelector(`[part~="${part}"]`), part).to.equal(null);
    el.noEdit = el.noShare = el.noDownload = false;
    await elementUpdated(el);
    await elementUpdated(player);
    for (const part of ['rename-button', 'trim-button', 'copy-link', 'download']) expect(player.shadowRoot!.querySelector(`[part~="${part}"]`), part).to.exist;
    (player as unknown as { close(): void }).close();
  });

  it('renameClip, trimClip, restoreClip, shareClip: promises of the answers, with their events', async () => {
    const el = await mountList([clip('a', 'ready')], html`<fake-clip-list session="demo" share-expires-in="3600"></fake-clip-list>`);
    expect(el.shareExpiresIn).to.equal(3600);
    const renamed = oneEvent(el, 'ov-clip-renamed');
    expect((await el.renameClip('a', 'By code')).name).to.equal('By code');
    expect((await renamed).detail.clip.name).to.equal('By code');
    const trimmed = oneEvent(el, 'ov-clip-trimmed');
    expect((await el.trimClip('a', 1, 6)).trim).to.deep.equal({ start: 1, end: 6 });
    expect((await trimmed).detail.clip.trim).to.deep.equal({ start: 1, end: 6 });
    const restored = oneEvent(el, 'ov-clip-trimmed');
    expect((await el.restoreClip('a')).trim).to.equal(undefined);
    expect((await restored).detail.clip.trim).to.equal(undefined);
    const shared = oneEvent(el, 'ov-clip-shared');
    const share = await el.shareClip('a');
    expect((await shared).detail).to.deep.include({ share });
    await el.shareClip('a', 60);
    expect(FakeClipList.feed.edits).to.deep.equal(['rename:a:By code', 'trim:a:1:6', 'restore:a', 'share:a:3600', 'share:a:60']);
    FakeClipList.feed.editError = new Error('offline');
    let failed: unknown;
    await el.trimClip('a', 1, 2).catch((e) => (failed = e));
    expect(failed).to.be.an('error');
  });
});
