// Share-link signatures, the key file and the order of a link's checks, without a server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../demo-server/src/config.js';
import { ApiError, errors } from '../../demo-server/src/errors.js';
import type { Clip } from '../../demo-server/src/schemas/clips.js';
import type { ClipMeta } from '../../demo-server/src/services/clip-meta-store.js';
import { loadOrCreateKeyFile, loadShareKeyRing, openShareLink, SHARE_SIG_LENGTH, ShareKeyRing } from '../../demo-server/src/services/share-links.js';

const OLD = 'old-secret-old-secret-old-secret-0001';
const NEW = 'new-secret-new-secret-new-secret-0002';
const EXP = 1_900_000_000;

/** `sig` with its character at `i` replaced by another valid one. */
const alter = (sig: string, i: number) => sig.slice(0, i) + (sig[i] === 'A' ? 'B' : 'A') + sig.slice(i + 1);

describe('ShareKeyRing', () => {
  const ring = new ShareKeyRing([OLD]);
  const sig = ring.sign('room~3', EXP, 'salt-1');

  it('signs as 43 base64url characters that verify', () => {
    assert.match(sig, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(sig.length, SHARE_SIG_LENGTH);
    assert.equal(ring.verify('room~3', EXP, 'salt-1', sig), true);
    assert.equal(new ShareKeyRing([OLD]).verify('room~3', EXP, 'salt-1', sig), true, 'the same key in another process');
  });

  it('refuses any change to the clip, expiry, salt or signature', () => {
    assert.equal(ring.verify('room~4', EXP, 'salt-1', sig), false);
    assert.equal(ring.verify('room', EXP, 'salt-1', sig), false);
    assert.equal(ring.verify('room~3', EXP + 1, 'salt-1', sig), false);
    assert.equal(ring.verify('room~3', EXP, 'salt-2', sig), false);
    for (const i of [0, 21, 41]) assert.equal(ring.verify('room~3', EXP, 'salt-1', alter(sig, i)), false, `char ${i}`);
    // Fields run together differently are another message.
    assert.notEqual(ring.sign('a', EXP, 'bc'), ring.sign('ab', EXP, 'c'));
  });

  it('refuses malformed signatures and expiries', () => {
    const last = sig[42];
    // The three other spellings of the same bytes (the last character's unused bits set) are refused.
    const twins = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']
      .filter((c) => c !== last && Buffer.from(sig.slice(0, 42) + c, 'base64url').equals(Buffer.from(sig, 'base64url')))
      .map((c) => sig.slice(0, 42) + c);
    assert.equal(twins.length, 3);
    for (const bad of [
      ...twins,
      '',
      sig.slice(0, 42),
      sig + 'A',
      sig + '=',
      sig.replace(/./, '+'),
      sig.replace(/./, '/'),
      ' '.repeat(43),
      `${sig.slice(0, 42)}.`,
    ])
      assert.equal(ring.verify('room~3', EXP, 'salt-1', bad), false, JSON.stringify(bad));
    for (const exp of [0, -EXP, EXP + 0.5, NaN, Infinity, 1e12, Number.MAX_SAFE_INTEGER + 2])
      assert.equal(ring.verify('room~3', exp, 'salt-1', sig), false, String(exp));
    assert.equal(ring.verify('room~3', EXP, 'salt-1', 42 as unknown as string), false);
    assert.throws(() => ring.sign('room', 0, 's'), RangeError);
  });

  it('rotation: the first key signs, every key verifies; a removed key no longer does', () => {
    const oldSig = new ShareKeyRing([OLD]).sign('room', EXP, 's');
    const rotated = new ShareKeyRing([NEW, OLD]);
    assert.equal(rotated.verify('room', EXP, 's', oldSig), true);
    assert.equal(rotated.verify('room', EXP, 's', rotated.sign('room', EXP, 's')), true);
    assert.equal(new ShareKeyRing([NEW]).sign('room', EXP, 's'), rotated.sign('room', EXP, 's'));
    assert.equal(new ShareKeyRing([NEW]).verify('room', EXP, 's', oldSig), false);
    assert.throws(() => new ShareKeyRing([]));
  });
});

describe('the share key file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ov-share-key-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('is made once, mode 0600, and reused: links survive a restart', async () => {
    const config = { shareKeys: [], dataDir: path.join(dir, 'data') }; // the folder does not exist yet
    const first = await loadShareKeyRing(config);
    const file = path.join(config.dataDir, 'share-key');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^[A-Za-z0-9_-]{43}\n$/);
    const sig = first.sign('room', EXP, 's');
    const second = await loadShareKeyRing(config);
    assert.equal(second.verify('room', EXP, 's', sig), true);
    assert.equal(await readFile(file, 'utf8'), text, 'never rewritten');
  });

  it('two servers starting together on one folder get the same key', async () => {
    const file = path.join(dir, 'race', 'share-key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKeyFile(file)));
    for (const k of keys) assert.deepEqual(k, keys[0]);
    assert.equal(keys[0].length, 32);
  });

  it('SHARE_KEYS set: no key file is made', async () => {
    const dataDir = path.join(dir, 'configured');
    const ring = await loadShareKeyRing({ shareKeys: [NEW, OLD], dataDir });
    assert.equal(ring.size, 2);
    await assert.rejects(stat(path.join(dataDir, 'share-key')), { code: 'ENOENT' });
  });

  it('a malformed or unreadable key file stops the server with a clear message', async () => {
    for (const [name, content] of [
      ['empty', ''],
      ['short', 'abc\n'],
      ['padded', `${'A'.repeat(43)}=\n`],
      ['twice', `${'A'.repeat(43)}\n${'A'.repeat(43)}\n`],
      ['non-canonical', `${'A'.repeat(42)}B\n`],
    ]) {
      const d = path.join(dir, name);
      await mkdir(d, { recursive: true });
      await writeFile(path.join(d, 'share-key'), content);
      await assert.rejects(loadShareKeyRing({ shareKeys: [], dataDir: d }), (err: Error) => {
        assert.ok(err instanceof ConfigError, name);
        assert.match(err.message, /share-link key file .*share-key is malformed.*SHARE_KEYS/);
        return true;
      });
      assert.equal(await readFile(path.join(d, 'share-key'), 'utf8'), content, 'left as it was');
    }
    const d = path.join(dir, 'unreadable');
    await mkdir(path.join(d, 'share-key'), { recursive: true }); // a folder where the file should be
    await assert.rejects(loadShareKeyRing({ shareKeys: [], dataDir: d }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /share-link key file .*share-key cannot be read \(EISDIR\)/);
      return true;
    });
  });
});

describe('openShareLink: the order of the checks', () => {
  const ring = new ShareKeyRing([NEW]);
  const clip: Clip = {
    id: 'room~1',
    sessionId: 'room',
    name: 'n',
    status: 'ready',
    createdAt: 1000,
    duration: 3,
    size: 10,
    hasAudio: true,
    hasVideo: true,
    mediaUrl: '',
    thumbnailUrl: '',
  };
  const now = (EXP - 60) * 1000;
  function fake(o: { meta?: Partial<ClipMeta> | null; clip?: Clip | 'missing' | 'down'; salt?: string }) {
    const calls = { getClip: 0 };
    const meta = o.meta === null ? undefined : { id: clip.id, sessionId: 'room', createdAt: 1000, updatedAt: 1, shareSalt: 'salt', ...o.meta };
    const services = {
      clipMeta: {
        get: (id: string) => (id === clip.id ? meta : undefined),
        shareSalt: async () => o.salt ?? meta?.shareSalt,
        apply: (c: Clip) => ({ ...c, name: 'applied' }),
      },
      gateway: {
        getClip: async () => {
          calls.getClip++;
          if (o.clip === 'missing') throw errors.notFound('clip', clip.id);
          if (o.clip === 'down') throw errors.unavailable();
          return o.clip ?? clip;
        },
      },
    } as unknown as Parameters<typeof openShareLink>[0];
    return { services, calls };
  }
  const link = (exp = EXP, sig = ring.sign(clip.id, exp, 'salt')) => ({ clipId: clip.id, exp, sig });

  it('a genuine link opens the clip, with its metadata applied', async () => {
    const { services } = fake({});
    assert.deepEqual(await openShareLink(services, ring, link(), now), { clip: { ...clip, name: 'applied' } });
  });

  it('refusals, in order; forged links never reach OpenVidu', async () => {
    // A later recording took the id: the store has no salt for it (its metadata was the deleted clip's).
    const later = fake({ clip: { ...clip, createdAt: 5000 } });
    (later.services.clipMeta as { shareSalt: unknown }).shareSalt = async (c: Clip) => (c.createdAt === 1000 ? 'salt' : undefined);
    const cases: [string, ReturnType<typeof fake>, ReturnType<typeof link>, string, number][] = [
      ['no metadata', fake({ meta: null }), link(), 'gone', 0],
      ['never shared', fake({ meta: { shareSalt: undefined } }), link(), 'invalid', 0],
      ['revoked (new salt)', fake({ meta: { shareSalt: 'salt-2' } }), link(), 'invalid', 0],
      ['altered signature', fake({}), { ...link(), sig: alter(link().sig, 5) }, 'invalid', 0],
      ['altered expiry', fake({}), { ...link(), exp: EXP + 3600 }, 'invalid', 0],
      ['forged and expired: not valid, not "expired"', fake({}), { ...link(EXP - 3600), sig: alter(link(EXP - 3600).sig, 0) }, 'invalid', 0],
      ['expired', fake({}), link(now / 1000), 'expired', 0],
      ['clip gone from OpenVidu', fake({ clip: 'missing' }), link(), 'gone', 1],
      ['a later clip took the id', later, link(), 'gone', 1],
      ['not ready', fake({ clip: { ...clip, status: 'processing' } }), link(), 'not-ready', 1],
    ];
    for (const [what, f, l, refused, calls] of cases) {
      assert.deepEqual(await openShareLink(f.services, ring, l, now), { refused }, what);
      assert.equal(f.calls.getClip, calls, `${what}: calls to OpenVidu`);
    }
  });

  it('OpenVidu unreachable: thrown (503), not a refusal', async () => {
    await assert.rejects(openShareLink(fake({ clip: 'down' }).services, ring, link(), now), (e: ApiError) => e.statusCode === 503);
  });
});
