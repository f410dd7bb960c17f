/**
 * What one new connection (token) costs OpenVidu in a room full of unused tokens (pending connections): no walk over
 * the room's connections and an answer of the same size, whether the room holds none or thousands. Counted in
 * operations, not time (timing targets live in bench/server.bench.ts).
 *
 * Run: npm test -- test/embedded-openvidu/token-cost.test.ts
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedOpenVidu, type EmbeddedOpenVidu } from '../../demo-server/embedded-openvidu/index.js';
import type { Session } from '../../demo-server/embedded-openvidu/model.js';

const silentLog = { debug() {}, info() {}, warn() {}, error() {} };
const PENDING = 3000;

const counters = new WeakMap<object, { walks: number }>();

/** Counts every walk over a map (iteration, `values()`, `forEach`…) from now on; lookups and inserts are not counted. */
function countWalks<K, V>(map: Map<K, V>): { walks: number } {
  const known = counters.get(map);
  if (known) {
    known.walks = 0;
    return known;
  }
  const counter = { walks: 0 };
  counters.set(map, counter);
  for (const name of ['values', 'keys', 'entries', 'forEach', Symbol.iterator] as const) {
    const own = map[name] as (...a: unknown[]) => unknown;
    Object.defineProperty(map, name, {
      value: (...a: unknown[]) => {
        counter.walks++;
        return own.apply(map, a);
      },
    });
  }
  return counter;
}

describe('a token costs OpenVidu the same in an empty room and in one with thousands of unused tokens', () => {
  let dir: string;
  let ov: EmbeddedOpenVidu;
  const auth = { Authorization: 'Basic ' + Buffer.from('OPENVIDUAPP:S').toString('base64'), 'Content-Type': 'application/json' };
  const post = async (p: string, body: unknown) => {
    const res = await fetch(`${ov.url}${p}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return text;
  };
  const session = (id: string): Session => ov.core.sessions.get(id)!;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ov-token-cost-'));
    ov = await startEmbeddedOpenVidu({ port: 0, secret: 'S', recording: false, recordingPath: dir, logger: silentLog });
    await post('/openvidu/api/sessions', { customSessionId: 'quiet' });
    await post('/openvidu/api/sessions', { customSessionId: 'crowd' });
    const crowd = session('crowd');
    const props = { role: 'SUBSCRIBER' as const, data: 'x', record: true, kurentoOptions: null, customIceServers: [] };
    for (let i = 0; i < PENDING; i++) ov.core.createConnection(crowd, props);
  });
  after(async () => {
    await ov?.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const route of ['connection', 'tokens'] as const) {
    it(`POST ${route === 'connection' ? '/sessions/{id}/connection' : '/tokens'}: no walk over the room's connections or tokens, same answer size`, async () => {
      const make = (room: string) =>
        route === 'connection'
          ? post(`/openvidu/api/sessions/${room}/connection`, { role: 'SUBSCRIBER', data: 'bench' })
          : post('/openvidu/api/tokens', { session: room, role: 'SUBSCRIBER', data: 'bench' });
      const sizes: Record<string, number[]> = { quiet: [], crowd: [] };
      for (const room of ['quiet', 'crowd']) {
        const s = session(room);
        const connections = countWalks(s.connections);
        const tokens = countWalks(s.tokens);
        const before = s.connections.size;
        for (let i = 0; i < 20; i++) sizes[room].push((await make(room)).length);
        assert.equal(s.connections.size, before + 20, 'each call made one pending connection');
        assert.equal(connections.walks, 0, `${room} room: walks over its connections`);
        assert.equal(tokens.walks, 0, `${room} room: walks over its tokens`);
      }
      assert.ok(session('crowd').connections.size > PENDING, 'the crowded room holds the unused tokens');
      // Ids are random but of fixed length: the answer does not grow with the room.
      assert.deepEqual(new Set(sizes.crowd), new Set(sizes.quiet));
    });
  }
});
