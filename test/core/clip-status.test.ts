// The one ordering rule for clip statuses, shared by LiveRoom, ClipsClient and the reference server's clip events.
import { expect } from '@open-wc/testing';
import { advanceClipStatus, ClipStatusBook, type ClipState } from '../../src/clips/clip-status.js';

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
