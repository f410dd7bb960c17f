// The gateway's kept-alive REST calls (the token route's) enforce the gateway's timeout themselves: an OpenVidu that
// accepts the connection and never answers gives a 503, and the socket is closed, not left waiting in the pool.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { ApiError } from '../../demo-server/src/errors.js';
import { OpenViduGateway } from '../../demo-server/src/services/openvidu-gateway.js';

const clip = { resolution: '640x480', frameRate: 25, hasAudio: true, hasVideo: true };

describe('the gateway REST timeout', () => {
  let server: net.Server;
  const sockets: net.Socket[] = [];
  let url: string;

  before(async () => {
    server = net.createServer((s) => {
      s.on('error', () => {});
      s.resume(); // reads (and drops) the request, so the client's close is seen
      sockets.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('a silent OpenVidu: the token is refused with 503 after timeoutMs, and the socket it used is closed', async () => {
    const gateway = new OpenViduGateway({ url, secret: 'S', timeoutMs: 300, clip });
    const t0 = performance.now();
    const err = await gateway.createToken('room', { role: 'publisher', data: '' }).then(
      () => assert.fail('a token from a silent OpenVidu'),
      (e: unknown) => e,
    );
    const ms = performance.now() - t0;
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.statusCode, 503);
    assert.equal(err.code, 'OV_OPENVIDU_UNAVAILABLE');
    assert.ok(ms >= 280, `waited for the timeout (${Math.round(ms)} ms)`);
    assert.ok(sockets.length >= 1, 'the request reached the server');
    // The gateway destroyed its end: the server side sees the close (the test's own timeout bounds the wait).
    await Promise.all(sockets.map((s) => (s.closed ? undefined : once(s, 'close'))));
  });
});
