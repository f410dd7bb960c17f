// <ov-clip-list>'s player: title rename, Download, Copy link (clipboard and its fallback), the trim editor
// (keyboard and pointer), Save, Cancel, Restore original, and the focus trap over all of them.
import { elementUpdated, expect, oneEvent, waitUntil } from '@open-wc/testing';
import { resetMouse, sendKeys, sendMouse } from '@web/test-runner-commands';
import type { OvClipList } from '../../components/clip-list/clip-list.js';
import type { OvClipSharedEvent } from '../../components/events/ov-clip-shared.js';
import type { OvClipTrimmedEvent } from '../../components/events/ov-clip-trimmed.js';
import type { Clip } from '../../src/types.js';
import { $, clip, FakeClipList, mountList } from './fakes.js';

type Player = HTMLElement & { open: boolean; close(): void };

/** Opens the player of the list's first ready clip; returns the player and a finder in its shadow root. */
async function openPlayer(el: OvClipList) {
  $(el, 'button[part~="clip"]')!.click();
  const player = el.shadowRoot!.querySelector('ov-media-player') as Player;
  await waitUntil(() => player.open && player.shadowRoot!.querySelector('[part~="copy-link"],[part~="trim-button"]'), 'the player opens with its tools');
  const q = <T extends HTMLElement = HTMLElement>(part: string) => player.shadowRoot!.querySelector(`[part~="${part}"]`) as T | null;
  return { player, q, active: () => player.shadowRoot!.activeElement, video: q<HTMLVideoElement>('video')! };
}

const slider = (h: HTMLElement) => ['aria-valuemin', 'aria-valuemax', 'aria-valuenow', 'aria-valuetext'].map((a) => h.getAttribute(a));
const centre = (e: Element): [number, number] => {
  const r = e.getBoundingClientRect();
  return [Math.round(r.x + r.width / 2), Math.round(r.y + r.height / 2)];
};

describe('<ov-clip-list> player', () => {
  afterEach(async () => {
    delete (navigator as { clipboard?: unknown }).clipboard;
    await resetMouse();
  });

  it('the editing tools load when the player first opens; title rename: Enter saves, Esc leaves the field only', async () => {
    const loaded = () => performance.getEntriesByType('resource').some((e) => /internal\/clip-tools\./.test(e.name));
    const el = await mountList([clip('a', 'ready')]);
    expect(loaded(), 'not loaded with the list').to.equal(false);
    const { player, q, active } = await openPlayer(el);
    await waitUntil(() => q('rename-button'), 'the tools show');
    expect(loaded()).to.equal(true);
    expect(q('rename-button')!.getAttribute('aria-label')).to.equal('Rename: Clip a');
    q('rename-button')!.click();
    await waitUntil(() => q('rename-input') && active() === q('rename-input'));
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'Escape' });
    await waitUntil(() => active() === q('rename-button'), 'focus back on Rename');
    expect(player.open, 'Esc left the field, not the dialog').to.equal(true);
    q('rename-button')!.click();
    await waitUntil(() => q('rename-input') && active() === q('rename-input'));
    await sendKeys({ type: 'Title' });
    const renamed = oneEvent(el, 'ov-clip-renamed');
    await sendKeys({ press: 'Enter' });
    expect((await renamed).detail.clip.name).to.equal('Title');
    await waitUntil(() => q('title')!.textContent === 'Title');
    expect($(el, '[part~="name"]')!.textContent).to.equal('Title');
    player.close();
  });

  it('Download is an <a download> to the download URL (versioned once trimmed); Tab cycles over every control', async () => {
    const el = await mountList([clip('a', 'ready')]);
    const { player, q, active } = await openPlayer(el);
    const a = q<HTMLAnchorElement>('download')!;
    expect(a.localName).to.equal('a');
    expect(a.hasAttribute('download')).to.equal(true);
    expect(a.href).to.equal(new URL('/api/clips/a/media?download=1', location.href).href);
    const seen = new Set<Element | null>();
    for (let i = 0; i < 7; i++) {
      await sendKeys({ press: 'Tab' });
      seen.add(active());
    }
    const parts = [...seen].map((e) => e?.getAttribute('part'));
    expect(parts).to.have.members(['close', 'video', 'download', 'copy-link', 'trim-button', 'rename-button']);
    await el.trimClip('a', 2, 9);
    await elementUpdated(player);
    const v = FakeClipList.feed.clips[0].updatedAt;
    expect(a.href).to.equal(new URL(`/api/clips/a/media?v=${v}&download=1`, location.href).href);
    player.close();
  });

  it('Copy link copies the share URL, says when it expires, fires ov-clip-shared', async () => {
    const written: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (t: string) => void written.push(t) } });
    const el = await mountList([clip('a', 'ready')]);
    const { player, q } = await openPlayer(el);
    const shared = oneEvent(el, 'ov-clip-shared') as Promise<OvClipSharedEvent>;
    q('copy-link')!.click();
    const { detail } = await shared;
    expect(detail.clip.id).to.equal('a');
    await waitUntil(() => written.length === 1);
    expect(written).to.deep.equal([detail.share.url]);
    expect(FakeClipList.feed.edits).to.deep.equal(['share:a:604800']);
    const status = player.shadowRoot!.querySelector('[role="status"]')!;
    await waitUntil(() => status.textContent!.startsWith('Link copied, expires '));
    expect(status.textContent).to.contain('2026');
    expect(q('link')).to.equal(null);
    player.close();
  });

  it('without a clipboard, Copy link shows the link in a read-only field, selected; accessible', async () => {
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: undefined });
    const el = await mountList([clip('a', 'ready')]);
    const { player, q, active } = await openPlayer(el);
    q('copy-link')!.click();
    await waitUntil(() => q('link') && active() === q('link'), 'the field shows, focused');
    const field = q<HTMLInputElement>('link')!;
    expect(field.readOnly).to.equal(true);
    expect(field.value).to.equal('https://live.example/watch/a?exp=1767916800&sig=abc');
    expect([field.selectionStart, field.selectionEnd]).to.deep.equal([0, field.value.length]);
    expect(field.closest('label')!.textContent).to.contain('Copy link');
    await expect(el).to.be.accessible();
    player.close();
  });

  it('a failed share says so in the dialog and fires ov-error', async () => {
    const el = await mountList([clip('a', 'ready')]);
    FakeClipList.feed.editError = Object.assign(new Error('403'), { status: 403 });
    const { player, q } = await openPlayer(el);
    const error = oneEvent(el, 'ov-error');
    q('copy-link')!.click();
    expect((await error).detail.status).to.equal(403);
    await waitUntil(() => player.shadowRoot!.querySelector('[role="status"]')!.textContent === 'The link could not be created.');
    player.close();
  });
});

describe('<ov-clip-list> trim editor', () => {
  afterEach(() => resetMouse());

  async function openTrim(over: Partial<Clip> = {}) {
    const el = await mountList([clip('a', 'ready', over)]);
    const p = await openPlayer(el);
    p.q('trim-button')!.click();
    await waitUntil(() => p.q('in-handle') && p.active() === p.q('in-handle'), 'the editor opens, focus on the in point');
    return { el, ...p, inH: p.q('in-handle')!, outH: p.q('out-handle')! };
  }

  it('the handles are sliders over the original, in m:ss.d; accessible', async () => {
    const { el, player, inH, outH, q } = await openTrim();
    expect(inH.getAttribute('role')).to.equal('slider');
    expect(inH.getAttribute('aria-label')).to.equal('In point');
    expect(outH.getAttribute('aria-label')).to.equal('Out point');
    expect(slider(inH)).to.deep.equal(['0', '74.5', '0', '0:00.0']);
    expect(slider(outH)).to.deep.equal(['0.5', '75', '75', '1:15.0']);
    expect(getComputedStyle(q('timeline')!).touchAction).to.equal('none');
    for (const h of [inH, outH]) expect(h.getBoundingClientRect().width).to.be.at.least(44);
    await expect(el).to.be.accessible();
    player.close();
  });

  it('keyboard: arrows ±0.1 s, PageUp/Down ±1 s, Home/End; in stays 0.5 s before out; the preview follows', async () => {
    const { player, inH, outH, video } = await openTrim();
    await sendKeys({ press: 'ArrowRight' });
    await sendKeys({ press: 'ArrowUp' });
    expect(slider(inH)[2]).to.equal('0.2');
    await sendKeys({ press: 'PageUp' });
    expect(slider(inH)[3]).to.equal('0:01.2');
    expect(video.currentTime).to.be.closeTo(1.2, 0.001);
    await sendKeys({ press: 'PageDown' });
    await sendKeys({ press: 'ArrowLeft' });
    expect(slider(inH)[2]).to.equal('0.1');
    outH.focus();
    await sendKeys({ press: 'Home' });
    expect(slider(outH)[2]).to.equal('0.6');
    expect(video.currentTime).to.be.closeTo(0.6, 0.001);
    await sendKeys({ press: 'ArrowDown' });
    expect(slider(outH)[2], 'never less than 0.5 s after in').to.equal('0.6');
    inH.focus();
    await sendKeys({ press: 'End' });
    expect(slider(inH)[2]).to.equal('0.1');
    await sendKeys({ press: 'PageUp' });
    expect(slider(inH)[2]).to.equal('0.1');
    outH.focus();
    await sendKeys({ press: 'End' });
    expect(slider(outH)[3]).to.equal('1:15.0');
    player.close();
  });

  it('pointer: the out handle follows the mouse (captured), and the in handle cannot pass it', async () => {
    const { player, q, inH, outH, video } = await openTrim();
    const track = q('timeline')!.getBoundingClientRect();
    const at = (s: number): [number, number] => [Math.round(track.x + (track.width * s) / 75), Math.round(track.y + track.height / 2)];
    await sendMouse({ type: 'move', position: centre(outH) });
    await sendMouse({ type: 'down' });
    await sendMouse({ type: 'move', position: at(30) });
    await sendMouse({ type: 'move', position: [at(30)[0], Math.min(innerHeight - 2, Math.round(track.bottom) + 40)] }); // off the track: still dragging (captured)
    await sendMouse({ type: 'up' });
    const out = Number(outH.getAttribute('aria-valuenow'));
    expect(out).to.be.closeTo(30, 75 / track.width + 0.1);
    expect(video.currentTime).to.be.closeTo(out, 0.001);
    await sendMouse({ type: 'move', position: centre(inH) });
    await sendMouse({ type: 'down' });
    await sendMouse({ type: 'move', position: at(60) });
    await sendMouse({ type: 'up' });
    expect(Number(inH.getAttribute('aria-valuenow'))).to.be.closeTo(out - 0.5, 0.001);
    player.close();
  });

  it('Save sends the handles, fires ov-clip-trimmed, reloads the media with ?v= and shows the hint; Esc only leaves the editor', async () => {
    const { el, player, q, outH, active, video } = await openTrim();
    outH.focus();
    await sendKeys({ press: 'PageDown' });
    await sendKeys({ press: 'PageDown' });
    const trimmed = oneEvent(el, 'ov-clip-trimmed') as Promise<OvClipTrimmedEvent>;
    q('trim-save')!.click();
    const { detail } = await trimmed;
    expect(FakeClipList.feed.edits).to.deep.equal(['trim:a:0:73']);
    expect(detail.clip.trim).to.deep.equal({ start: 0, end: 73 });
    await waitUntil(() => !q('timeline') && active() === q('trim-button'), 'the editor closes, focus on Trim');
    expect(video.getAttribute('src')).to.equal(new URL(`/api/clips/a/media?v=${detail.clip.updatedAt}`, location.href).href);
    expect($(el, '[part~="trimmed"]')!.textContent).to.equal('Trimmed');
    expect(player.shadowRoot!.querySelector('[role="status"]')!.textContent).to.equal('Trimmed');
    q('trim-button')!.click();
    await waitUntil(() => q('in-handle'));
    await sendKeys({ press: 'Escape' });
    await waitUntil(() => !q('timeline'));
    expect(player.open).to.equal(true);
    player.close();
  });

  it('a trimmed clip: handles start at its cut over the original; the preview seeks in the cut; Cancel sends nothing', async () => {
    const { player, q, inH, outH, video, active } = await openTrim({ trim: { start: 10, end: 20 }, originalDuration: 75, duration: 10, updatedAt: 5 });
    expect(slider(inH)).to.deep.equal(['0', '19.5', '10', '0:10.0']);
    expect(slider(outH)).to.deep.equal(['10.5', '75', '20', '0:20.0']);
    await sendKeys({ press: 'PageUp' });
    expect(video.currentTime, 'the cut starts at 10 s of the original').to.be.closeTo(1, 0.001);
    q('trim-cancel')!.click();
    await waitUntil(() => !q('timeline') && active() === q('trim-button'));
    expect(FakeClipList.feed.edits).to.deep.equal([]);
    player.close();
  });

  it('Restore original (trimmed clips only) restores, fires ov-clip-trimmed without trim, and the media loses ?v=', async () => {
    const el = await mountList([clip('a', 'ready', { trim: { start: 10, end: 20 }, originalDuration: 75, duration: 10, updatedAt: 5 })]);
    const { player, q, video, active } = await openPlayer(el);
    expect(video.getAttribute('src')).to.match(/media\?v=5$/);
    const trimmed = oneEvent(el, 'ov-clip-trimmed') as Promise<OvClipTrimmedEvent>;
    q('restore-button')!.click();
    expect((await trimmed).detail.clip.trim).to.equal(undefined);
    expect(FakeClipList.feed.edits).to.deep.equal(['restore:a']);
    await waitUntil(() => !q('restore-button') && active() === q('trim-button'));
    expect(video.getAttribute('src')).to.equal(new URL('/api/clips/a/media', location.href).href);
    expect($(el, '[part~="trimmed"]')).to.equal(null);
    player.close();
  });
});
