// The clip metadata store on its own: names and trims that survive a restart, leftovers of interrupted writes
// removed, metadata that never applies to a later recording given the same id, and ids or paths that try to leave
// its folder.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ClipMetaStore } from '../../demo-server/src/services/clip-meta-store.js';
import { ClipNameError, normalizeClipName } from '../../demo-server/src/services/recording-to-clip.js';
import type { Clip } from '../../demo-server/src/schemas/clips.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function freshStore(now?: () => number) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ov-clipmeta-'));
  dirs.push(dir);
  const store = new ClipMetaStore({ dir, now });
  await store.load();
  return { dir, store };
}

const T0 = 1_700_000_000_000;
function clip(over: Partial<Clip> = {}): Clip {
  return {
    id: 'room~1',
    sessionId: 'room',
    name: 'From the recording',
    status: 'ready',
    createdAt: T0,
    duration: 30,
    size: 1000,
    hasAudio: true,
    hasVideo: true,
    mediaUrl: '/api/clips/room~1/media',
    thumbnailUrl: '/api/clips/room~1/thumbnail',
    ...over,
  };
}

/** A trim as the cutter hands it over: files written under temporary names in the clip's folder. */
async function cut(store: ClipMetaStore, c: Clip, bytes = 'cut video', range = { start: 2, end: 10, originalDuration: 30 }) {
  const media = await store.tempPath(c, 'cut.mp4');
  const thumbnail = await store.tempPath(c, 'cut.jpg');
  await writeFile(media, bytes);
  await writeFile(thumbnail, 'jpeg');
  return store.setTrim(c, range, { media, thumbnail });
}

describe('clip names', () => {
  it('trimmed, NFC, 1 to 100 characters counted as code points', () => {
    assert.equal(normalizeClipName('  Goal!  '), 'Goal!');
    assert.equal(normalizeClipName('Cafe\u0301'), 'Café'); // NFD in, NFC out
    assert.equal(normalizeClipName('😀'.repeat(100)), '😀'.repeat(100)); // 200 UTF-16 units, 100 characters
    assert.equal(normalizeClipName('첫 클립 <b>'), '첫 클립 <b>'); // HTML is text, escaped where shown
    for (const bad of ['', '   ', 'x'.repeat(101), '😀'.repeat(101)]) assert.throws(() => normalizeClipName(bad), ClipNameError, JSON.stringify(bad));
  });

  it('control, bidi embedding/override/isolate characters and lone surrogates are refused with a clear message', () => {
    const cases: Array<[string, RegExp]> = [
      ['a\nb', /control/],
      ['a\u0000b', /control/],
      ['a\u007fb', /control/],
      ['a\u0085b', /control/],
      ['a\u202eb', /bidirectional/],
      ['a\u202ab', /bidirectional/],
      ['a\u2066b', /bidirectional/],
      ['a\u2069b', /bidirectional/],
      ['a\ud800b', /Unicode/],
      ['a\udc00', /Unicode/],
    ];
    for (const [name, message] of cases) assert.throws(() => normalizeClipName(name), message, JSON.stringify(name));
    assert.throws(() => normalizeClipName(42), /text/);
    // Right-to-left text itself is fine; so are the invisible direction marks that do not override.
    assert.equal(normalizeClipName('שלום \u200f'), 'שלום \u200f'.trim());
  });
});

describe('ClipMetaStore', () => {
  it('a rename survives a restart; without metadata the recording name stays (clips from before the upgrade)', async () => {
    let now = T0 + 5000;
    const { dir, store } = await freshStore(() => now);
    assert.deepEqual(store.apply(clip()), clip(), 'no metadata: the clip as OpenVidu gives it');
    await store.rename(clip(), '  Best   moment ');
    assert.equal(store.apply(clip()).name, 'Best   moment');
    assert.equal(store.apply(clip()).updatedAt, now);
    // Same clock: still strictly increasing, so receivers take the later edit.
    await store.rename(clip(), 'Second');
    assert.equal(store.apply(clip()).updatedAt, now + 1);
    now += 10;

    const reloaded = new ClipMetaStore({ dir });
    await reloaded.load();
    const c = reloaded.apply(clip());
    assert.equal(c.name, 'Second');
    assert.equal(c.updatedAt, T0 + 5001);
    assert.equal(c.status, 'ready', 'the status is never the store’s');
    const file = JSON.parse(await readFile(path.join(dir, 'room', 'room~1.json'), 'utf8'));
    assert.deepEqual(file, { version: 1, id: 'room~1', sessionId: 'room', createdAt: T0, name: 'Second', updatedAt: T0 + 5001 });
  });

  it('metadata applies only to the recording with the same createdAt: a reused id gets none, and an edit replaces it', async () => {
    const { dir, store } = await freshStore();
    await cut(store, clip());
    await store.rename(clip(), 'Old clip');
    const later = clip({ createdAt: T0 + 60_000, name: 'New recording', duration: 12 });
    assert.deepEqual(store.apply(later), later, 'nothing of the deleted clip');
    assert.equal(store.cutFile(later, 'media'), undefined, 'not its cut either');
    assert.equal(await store.shareSalt(later, false), undefined, 'nor its share links');

    await store.rename(later, 'Fresh');
    assert.equal(store.apply(later).name, 'Fresh');
    assert.equal(store.apply(later).trim, undefined);
    assert.deepEqual((await readdir(path.join(dir, 'room'))).sort(), ['room~1.json'], 'the old cut files went with the old metadata');
    assert.equal(store.apply(clip()).name, 'From the recording', 'and the old clip no longer has it either');
  });

  it('trim: the media range, durations and a cut file; restore removes the cut and bumps updatedAt', async () => {
    let now = T0 + 1000;
    const { dir, store } = await freshStore(() => now);
    const meta = await cut(store, clip(), 'x'.repeat(1234), { start: 2.0053912, end: 10, originalDuration: 30 });
    assert.deepEqual(meta.trim, { start: 2.005, end: 10, originalDuration: 30, bytes: 1234, thumbnail: true });
    const c = store.apply(clip());
    assert.deepEqual(c.trim, { start: 2.005, end: 10 });
    assert.equal(c.originalDuration, 30);
    assert.equal(c.duration, 7.995);
    assert.deepEqual(store.apply(c), c, 'apply is idempotent');
    assert.equal((await stat(store.cutFile(c, 'media')!)).size, 1234);
    assert.deepEqual((await readdir(path.join(dir, 'room'))).sort(), ['room~1.cut.jpg', 'room~1.cut.mp4', 'room~1.json'], 'no temporary file left');
    assert.equal(store.cutFile(clip({ status: 'processing' }), 'media'), undefined);

    now += 1; // same millisecond or not, the restore is newer
    const restored = await store.clearTrim(clip());
    assert.equal(restored?.trim, undefined);
    const r = store.apply(c); // from a clip that still shows the old trim
    assert.equal(r.trim, undefined);
    assert.equal(r.originalDuration, undefined);
    assert.equal(r.duration, 30);
    assert.ok(r.updatedAt! > c.updatedAt!);
    assert.deepEqual(await readdir(path.join(dir, 'room')), ['room~1.json']);
    assert.equal(await store.clearTrim(clip()), undefined, 'restoring an untrimmed clip changes nothing');
  });

  it('load() removes what interrupted writes leave: temporary files, cuts without metadata, a cut of the wrong size', async () => {
    const { dir, store } = await freshStore();
    await store.rename(clip(), 'Kept');
    await cut(store, clip({ id: 'room~2' }), 'cut of clip 2');
    await cut(store, clip({ id: 'room~3' }), 'cut of clip 3');
    const room = path.join(dir, 'room');
    const leftovers = [
      '.room~1.json.0123456789abcdef.tmp', // a metadata write
      '.room~1.src.0123456789abcdef.tmp', // a download
      '.room~1.cut.mp4.0123456789abcdef.tmp', // a cut
      'room~9.cut.mp4', // renamed, but its metadata never written
      'room~1.cut.jpg', // a thumbnail of a clip not trimmed
    ];
    for (const f of leftovers) await writeFile(path.join(room, f), 'partial');
    // A crash after the metadata of a new trim was written and before its cut was renamed: sizes disagree.
    await writeFile(path.join(room, 'room~3.cut.mp4'), 'the previous, longer cut of clip 3');
    await mkdir(path.join(dir, 'empty-room'));
    await writeFile(path.join(room, 'notes.txt'), 'not ours: left alone');

    const reloaded = new ClipMetaStore({ dir });
    await reloaded.load();
    assert.deepEqual((await readdir(room)).sort(), ['notes.txt', 'room~1.json', 'room~2.cut.jpg', 'room~2.cut.mp4', 'room~2.json', 'room~3.json']);
    assert.equal(reloaded.apply(clip()).name, 'Kept');
    assert.deepEqual(reloaded.apply(clip({ id: 'room~2' })).trim, { start: 2, end: 10 });
    assert.equal(reloaded.apply(clip({ id: 'room~3' })).trim, undefined, 'the broken trim is dropped: the original is served');
    assert.equal(reloaded.get('room~3')?.trim, undefined);
    assert.deepEqual((await readdir(dir)).sort(), ['room'], 'an empty room folder goes');
  });

  it('damaged or foreign metadata files are ignored, not trusted', async () => {
    const { dir, store } = await freshStore();
    await store.rename(clip(), 'Fine');
    const room = path.join(dir, 'room');
    const bad: Record<string, unknown> = {
      'room~2.json': '{"version":1,"id":"room~2"', // truncated
      'room~3.json': { version: 1, id: 'room~4', sessionId: 'room', createdAt: T0 }, // id of another file
      'room~5.json': { version: 1, id: 'room~5', sessionId: 'other', createdAt: T0 }, // another room
      'room~6.json': { version: 1, id: 'room~6', sessionId: 'room', createdAt: T0, name: 'a\u202eb' }, // a name the API refuses
      'room~7.json': { version: 1, id: 'room~7', sessionId: 'room', createdAt: T0, extra: true }, // unknown field
      'room~8.json': { version: 2, id: 'room~8', sessionId: 'room', createdAt: T0 },
      'room~10.json': {
        version: 1,
        id: 'room~10',
        sessionId: 'room',
        createdAt: T0,
        trim: { start: 5, end: 2, originalDuration: 9, bytes: 1, thumbnail: false },
      },
    };
    for (const [f, v] of Object.entries(bad)) await writeFile(path.join(room, f), typeof v === 'string' ? v : JSON.stringify(v));
    const reloaded = new ClipMetaStore({ dir });
    await reloaded.load();
    assert.equal(reloaded.size, 1);
    assert.equal(reloaded.get('room~1')?.name, 'Fine');
  });

  it('ids and paths that try to leave the folder are refused; nothing is written outside it', async () => {
    const { dir, store } = await freshStore();
    const outside = path.join(path.dirname(dir), `outside-${path.basename(dir)}`);
    dirs.push(outside);
    for (const id of ['../x', '..', 'room/../../x', 'a\u0000b', '', 'room~1/..', `../${path.basename(outside)}/x`]) {
      assert.equal(store.get(id), undefined);
      assert.equal(await store.delete(id), false, id);
      await assert.rejects(store.rename(clip({ id }), 'x'), /bad clip id/, id);
      await assert.rejects(store.tempPath(clip({ id }), 'src'), /bad clip id/, id);
    }
    for (const sessionId of ['..', '../..', 'a/b', '.']) {
      await assert.rejects(store.rename(clip({ sessionId }), 'x'), /bad session id/, sessionId);
      await assert.rejects(store.shareSalt(clip({ sessionId }), true), /bad session id/);
    }
    for (const label of ['../x', 'a/b', '..', 'A', '']) await assert.rejects(store.tempPath(clip(), label), /bad temporary label/, label);
    // A cut handed over from elsewhere (another folder) is refused and nothing is stored.
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'evil.mp4'), 'x');
    await assert.rejects(store.setTrim(clip(), { start: 0, end: 1, originalDuration: 2 }, { media: path.join(outside, 'evil.mp4') }), /path outside/);
    await store.rename(clip(), 'Kept');
    for (const name of ['room~1.json', 'room~1.cut.mp4', '.room~1.json']) {
      const media = path.join(dir, 'room', name); // not a temporary file: never taken as a cut
      await assert.rejects(store.setTrim(clip(), { start: 0, end: 1, originalDuration: 2 }, { media }), /not a cut of this folder/, name);
    }
    assert.equal(store.get('room~1')?.name, 'Kept', 'its metadata file was not taken');
    await store.delete('room~1');
    await assert.rejects(store.setTrim(clip(), { start: 3, end: 1, originalDuration: 2 }, { media: await store.tempPath(clip(), 'cut.mp4') }), /bad trim/);
    assert.equal(store.size, 0);
    assert.deepEqual(await readdir(outside), ['evil.mp4'], 'the outside file was neither moved nor removed');
    // A session folder named like a traversal, or a symlink-looking name, is never read.
    await mkdir(path.join(dir, '..room'), { recursive: true });
    await writeFile(path.join(dir, '..room', 'room~1.json'), JSON.stringify({ version: 1, id: 'room~1', sessionId: '..room', createdAt: T0, name: 'x' }));
    await store.load();
    assert.equal(store.size, 0);
  });

  it('delete removes the metadata and the cuts; an edit finishing after the delete does not bring them back', async () => {
    const { dir, store } = await freshStore();
    await cut(store, clip());
    await store.shareSalt(clip(), true);
    assert.equal(await store.delete('room~1'), true);
    assert.equal(store.get('room~1'), undefined);
    assert.equal(store.size, 0);
    assert.deepEqual(await readdir(path.join(dir, 'room')), []);
    assert.equal(await store.delete('room~1'), false);
    await assert.rejects(store.rename(clip(), 'Too late'), (err: { statusCode?: number }) => err.statusCode === 404);
    await assert.rejects(cut(store, clip()), (err: { statusCode?: number }) => err.statusCode === 404);
    assert.deepEqual(await readdir(path.join(dir, 'room')), [], 'the refused cut removed its temporary files');
    // A later recording with the same id is another clip: editable.
    await store.rename(clip({ createdAt: T0 + 1 }), 'Next');
    assert.equal(store.get('room~1')?.name, 'Next');
  });

  it('share salts: made once, kept, replaced by a revoke; never given for another recording with the same id', async () => {
    const { store } = await freshStore();
    assert.equal(await store.shareSalt(clip(), false), undefined);
    const salt = await store.shareSalt(clip(), true);
    assert.match(salt!, /^[A-Za-z0-9_-]{24}$/);
    assert.equal(await store.shareSalt(clip(), true), salt);
    assert.equal(store.apply(clip()).updatedAt, undefined, 'sharing is not an edit of the clip');
    await store.revokeShares(clip());
    const next = await store.shareSalt(clip(), false);
    assert.ok(next && next !== salt);
    assert.equal(await store.shareSalt(clip({ createdAt: T0 + 1 }), false), undefined);
  });

  it('parallel edits of one clip run one at a time: the file on disk is the last one in memory', async () => {
    const { dir, store } = await freshStore();
    await Promise.all(Array.from({ length: 30 }, (_, i) => store.rename(clip(), `Name ${i}`)));
    const file = JSON.parse(await readFile(path.join(dir, 'room', 'room~1.json'), 'utf8'));
    assert.equal(file.name, store.get('room~1')!.name);
    assert.equal(file.updatedAt, store.get('room~1')!.updatedAt);
    assert.deepEqual(await readdir(path.join(dir, 'room')), ['room~1.json'], 'no temporary file left');
  });

  it('prune: metadata of clips missing from the list goes, unless the clip started after the list was asked for', async () => {
    const { store } = await freshStore();
    await store.rename(clip({ id: 'room' }), 'Listed');
    await store.rename(clip({ id: 'room~1' }), 'Deleted in OpenVidu');
    await store.rename(clip({ id: 'room~2', createdAt: T0 + 10_000 }), 'Started meanwhile');
    await store.rename(clip({ id: 'other', sessionId: 'other' }), 'Another room');
    await store.prune('room', [{ id: 'room' }], T0 + 5000);
    assert.deepEqual(
      ['room', 'room~1', 'room~2', 'other'].map((id) => store.get(id)?.name),
      ['Listed', undefined, 'Started meanwhile', 'Another room'],
    );
  });
});
