// The one ordering rule for clip statuses, shared by LiveRoom, ClipsClient and the reference server's clip events.
import { expect } from '@open-wc/testing';
import { advanceClipStatus, applyClipUpdate, ClipStatusBook, KnownClips, withLatestEdit, type ClipState } from '../../src/clips/clip-status.js';
import { clip } from './fake-clips.js';

describe('clip status: recording → processing → ready | failed, never backwards, deletion final', () => {
  it('moves forward, skipping steps if need be, and nowhere else', () => {
    const cases: [ClipState | undefined, ClipState, ClipState | undefined][] = [
      [undefined, 'processing', 'processing'],
      ['recording', 'processing', 'processing'],
      ['recording', 'ready', 'ready'],
      ['processing', 'failed', 'failed'],
      ['ready', 'processing', undefined], // a late event
      ['ready', 'recording', undefined],
      ['ready', 'ready', undefined], // the same news twice
      ['ready', 'failed', undefined], // final
      ['failed', 'ready', undefined],
      ['ready', 'deleted', 'deleted'],
      ['recording', 'deleted', 'deleted'],
      ['deleted', 'ready', undefined],
      ['deleted', 'recording', undefined],
      ['recording', 'bogus' as ClipState, undefined], // from the wire: not a status
    ];
    for (const [prev, next, want] of cases) expect(advanceClipStatus(prev, next), `${prev} → ${next}`).to.equal(want);
  });

  it('a book reports each change once, in order only, and forgets the oldest clips beyond its size', () => {
    const book = new ClipStatusBook(2);
    expect(['recording', 'ready', 'processing', 'ready'].map((s) => book.advance('a', s as ClipState))).to.deep.equal([true, true, false, false]);
    expect(book.get('a')).to.equal('ready');
    book.advance('b', 'recording');
    book.advance('c', 'recording');
    expect([book.get('a'), book.get('b'), book.get('c')]).to.deep.equal([undefined, 'recording', 'recording']);
  });

  it('an id given to a new clip after a deletion starts over; late news of the old clip changes nothing', () => {
    const book = new ClipStatusBook();
    expect(book.advance('s', 'recording', 100)).to.equal(true);
    expect(book.advance('s', 'ready', 100)).to.equal(true);
    expect(book.advance('s', 'deleted')).to.equal(true); // a deletion signal says no time: the clip on record
    expect(book.advance('s', 'ready', 100), 'the deleted clip again').to.equal(false);
    expect(book.advance('s', 'recording', 200), 'a new clip with the same id').to.equal(true);
    expect(book.advance('s', 'processing', 100), 'late news of the old one').to.equal(false);
    expect(book.get('s')).to.equal('recording');
    expect(book.advance('s', 'ready')).to.equal(true);
  });

  it('a status name that is not one (from the wire) is no news, even an inherited property name', () => {
    expect(advanceClipStatus(undefined, 'toString' as ClipState)).to.equal(undefined);
    expect(advanceClipStatus('recording', 'constructor' as ClipState)).to.equal(undefined);
  });
});

describe('clip edits: same clip (id and start time), newer updatedAt wins, in any order', () => {
  const base = { ...clip('a', 'ready'), createdAt: 100, duration: 30 };
  const renamed = (name: string, updatedAt: number) => ({ ...base, name, updatedAt });
  const trimmed = { ...base, trim: { start: 2, end: 12 }, originalDuration: 30, duration: 10, updatedAt: 30 };
  const restored = { ...base, updatedAt: 40 };

  it('applies a newer edit; an older one after it, or the same one twice, is no news', () => {
    const v1 = applyClipUpdate(base, renamed('one', 10))!;
    expect(v1.name).to.equal('one');
    const v2 = applyClipUpdate(v1, renamed('two', 20))!;
    expect(v2.name).to.equal('two');
    expect(applyClipUpdate(v2, renamed('one', 10)), 'older after newer').to.equal(undefined);
    expect(applyClipUpdate(v2, renamed('two', 20)), 'the echo').to.equal(undefined);
    // The other order ends in the same place.
    const w = applyClipUpdate(base, renamed('two', 20))!;
    expect(applyClipUpdate(w, renamed('one', 10))).to.equal(undefined);
    expect(w).to.deep.equal(v2);
  });

  it('an edit of another clip under the same id (other createdAt) changes nothing', () => {
    expect(applyClipUpdate(base, { ...renamed('x', 10), createdAt: 99 })).to.equal(undefined);
    expect(applyClipUpdate(base, { ...renamed('x', 10), createdAt: 101 })).to.equal(undefined);
    expect(applyClipUpdate(base, { ...renamed('x', 10), id: 'b' })).to.equal(undefined);
  });

  it('keeps the known status: statuses move only by their own rule', () => {
    expect(applyClipUpdate({ ...base, status: 'processing' }, { ...renamed('x', 10), status: 'recording' })!.status).to.equal('processing');
  });

  it('a trim sets range and durations; a restore removes them and gives the whole duration back', () => {
    const t = applyClipUpdate(base, trimmed)!;
    expect([t.trim, t.originalDuration, t.duration]).to.deep.equal([{ start: 2, end: 12 }, 30, 10]);
    const r = applyClipUpdate(t, restored)!;
    expect(r).to.not.have.property('trim');
    expect(r).to.not.have.property('originalDuration');
    expect(r.duration).to.equal(30);
    expect(applyClipUpdate(r, trimmed), 'the trim again, late').to.equal(undefined);
  });

  it('a malformed edit from the wire is no news (no or non-numeric updatedAt, no createdAt)', () => {
    expect(applyClipUpdate(base, { ...base })).to.equal(undefined);
    expect(applyClipUpdate(base, { ...base, updatedAt: '99' as unknown as number })).to.equal(undefined);
    expect(applyClipUpdate(base, { ...base, updatedAt: NaN })).to.equal(undefined);
    expect(applyClipUpdate({ ...base, createdAt: undefined as unknown as number }, { ...renamed('x', 1), createdAt: undefined as unknown as number })).to.equal(
      undefined,
    );
  });

  it('withLatestEdit: status news older than the last edit keeps that edit, newer news is taken as is', () => {
    const known = applyClipUpdate(base, renamed('kept', 20))!;
    const late = { ...base, status: 'ready' as const, name: 'old', size: 7 };
    expect(withLatestEdit(late, known)).to.include({ name: 'kept', updatedAt: 20, size: 7, status: 'ready' });
    expect(withLatestEdit({ ...late, updatedAt: 25, name: 'newer' }, known).name).to.equal('newer');
    expect(withLatestEdit({ ...late, createdAt: 200 }, known).name, 'another clip under the id').to.equal('old');
    const t = applyClipUpdate(base, trimmed)!;
    expect(withLatestEdit({ ...base, name: 'old' }, t)).to.include({ duration: 10, originalDuration: 30 });
    // Restored after the news was sent: the news' trim goes, its original duration comes back.
    const r = applyClipUpdate(t, restored)!;
    const stale = withLatestEdit({ ...trimmed, size: 9 }, r);
    expect(stale).to.not.have.property('trim');
    expect(stale).to.include({ duration: 30, size: 9, updatedAt: 40 });
  });

  it('KnownClips: edits only for clips known, unless told to learn; id reuse; bounded', () => {
    const known = new KnownClips(2);
    expect(known.update(renamed('x', 10)), 'unknown clip').to.equal(undefined);
    expect(known.size).to.equal(0);
    known.note(base);
    expect(known.update(renamed('x', 10))!.name).to.equal('x');
    expect(known.update(renamed('w', 5))).to.equal(undefined);
    expect(known.update({ ...renamed('old clip', 50), createdAt: 50 }, true), 'an older clip under the id').to.equal(undefined);
    expect(known.update({ ...renamed('new clip', 1), createdAt: 500 }, true)!.name, 'a newer clip under the id').to.equal('new clip');
    expect(known.note({ ...base, createdAt: 500, status: 'ready', name: 'stale' }).name).to.equal('new clip');
    known.note(clip('b', 'ready'));
    known.note(clip('c', 'ready'));
    expect([known.get('a'), known.get('b')?.id, known.get('c')?.id]).to.deep.equal([undefined, 'b', 'c']);
  });
});
