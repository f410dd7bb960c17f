// `npm start` with a real certificate (TLS_CERT / TLS_KEY): browsers naming the site get it, tokens announce
// OpenVidu's WebSocket on that name through the page's origin, the OpenVidu process's webhook still arrives (it calls
// by address and trusts the self-signed certificate), and the redirect port sends plain HTTP to HTTPS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import type WebSocket from 'ws';
import { loadConfig } from '../../demo-server/src/config.js';
import { startServer, type RunningServer } from '../../demo-server/src/server.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { sleep } from '../helpers/until.js';

const NAME = 'live.example.test';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** An HTTPS request to 127.0.0.1 naming `servername` (SNI), checked against `ca`. */
function request(port: number, ca: string, servername: string | undefined, method: string, p: string, body?: string) {
  return new Promise<{ status: number; json: Record<string, unknown>; fingerprint: string }>((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, method, path: p, ca, servername, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        const fingerprint = (res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
            fingerprint,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('npm start with TLS_CERT / TLS_KEY', () => {
  let dir: string;
  let server: RunningServer;
  let real: { cert: string; key: string };
  let port: number;
  let redirectPort: number;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ov-tls-server-'));
    const pems = await generate([{ name: 'commonName', value: NAME }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: NAME }] }],
    });
    real = { cert: pems.cert, key: pems.private };
    await writeFile(path.join(dir, 'fullchain.pem'), real.cert);
    await writeFile(path.join(dir, 'privkey.pem'), real.key, { mode: 0o600 });
    redirectPort = await freePort();
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: path.join(dir, 'data'),
      TLS_CERT: path.join(dir, 'fullchain.pem'),
      TLS_KEY: path.join(dir, 'privkey.pem'),
      HTTP_REDIRECT_PORT: String(redirectPort),
      LOG_LEVEL: 'silent',
    });
    server = await startServer(config); // the OpenVidu child process, as under npm start
    port = Number(new URL(server.url).port);
  });

  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the real certificate to a client naming the site, and announces the WebSocket on that name', async () => {
    const res = await request(port, real.cert, NAME, 'POST', '/api/sessions/tls-room/token', '{"name":"Ann"}');
    assert.equal(res.status, 201, JSON.stringify(res.json));
    const token = String(res.json.token);
    assert.ok(token.startsWith(`wss://${NAME}:${port}?`), token);
    assert.equal(res.fingerprint, new crypto.X509Certificate(real.cert).fingerprint256);
  });

  it("joins through the page's origin, and the OpenVidu process's webhook reaches the server (the room is forgotten when it ends)", async () => {
    const gateway = server.app.services.gateway as unknown as { sessions: Map<string, unknown> };
    const res = await request(port, real.cert, NAME, 'POST', '/api/sessions/tls-hook/token', '{"name":"Ann"}');
    const token = String(res.json.token);
    const rpc = await RpcClient.connect(token, '', { host: `127.0.0.1:${port}`, options: { ca: real.cert, servername: NAME } as WebSocket.ClientOptions });
    const joined = await rpc.join(token);
    assert.ok(joined.id, 'joined through the forwarded WebSocket');
    assert.ok(gateway.sessions.has('tls-hook'), 'the room is cached while live');
    await rpc.request('leaveRoom', {});
    rpc.close();
    // sessionDestroyed comes as a webhook over HTTPS to 127.0.0.1 (no name: the self-signed certificate).
    for (let i = 0; i < 100 && gateway.sessions.has('tls-hook'); i++) await sleep(50);
    assert.equal(gateway.sessions.has('tls-hook'), false, 'the webhook arrived');
  });

  it('a connection by address gets the self-signed certificate of DATA_DIR/tls, not the real one', async () => {
    const selfSigned = await readFile(path.join(dir, 'data', 'tls', 'cert.pem'), 'utf8');
    const res = await request(port, selfSigned, undefined, 'GET', '/api/health');
    assert.equal(res.status, 200);
    assert.equal(res.fingerprint, new crypto.X509Certificate(selfSigned).fingerprint256);
  });

  it('the redirect port sends plain HTTP to HTTPS on the same host, keeping the path', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port: redirectPort, path: '/embed?session=a', headers: { host: NAME } }, resolve).on('error', reject),
    );
    res.resume();
    assert.equal(res.statusCode, 308);
    assert.equal(res.headers.location, `https://${NAME}:${port}/embed?session=a`);
  });
});
