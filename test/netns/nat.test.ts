// The embedded server as a public site, in network namespaces this test makes (topology.ts): `npm start` behind a
// 1:1 NAT with the public-site settings (MEDIA_PUBLIC_IP, MEDIA_PORT_RANGE, TURN=embedded, TLS_CERT/TLS_KEY for the
// site's name and PUBLIC_URL); Chromium inside a client namespace joins a room twice with openvidu-browser from the
// demo page. Three clients: on the internet, behind a home NAT, behind a NAT that drops all UDP (only TURN over TCP
// gets through). In each, both participants see each other's video advance, a clip recorded with both publishing is
// ready (ffprobe over HTTPS from the client's side), and the ICE candidate pair in use is read from getStats() and
// printed. Needs root; skipped with the reason otherwise.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { generate } from 'selfsigned';
import { probe, resolveFfprobePath } from '../../demo-server/embedded-openvidu/recording/ffmpeg.js';
import { ensureBuild } from '../helpers/build.js';
import { tiles, waitFor } from '../helpers/demo-page.js';
import { sleep } from '../helpers/until.js';
import { Lab, netnsUnsupported, sweepLeftovers } from './netns.js';
import { apiFromPage, observe, peerStates, remoteVideoTimes, selectedPairs, type Pair } from './page.js';
import { chromiumIn, npmStartIn, type Child } from './services.js';
import { buildTopology, PUBLIC_IP, SERVER_IP, type Topology } from './topology.js';

const unsupported = netnsUnsupported();
/** The site's name: Chromium resolves it to the public address (--host-resolver-rules); its certificate is self-made. */
const SITE = 'video.test';
const ORIGIN = `https://${SITE}`;
const CLIP_SECONDS = 3;

let lab: Lab;
let topo: Topology;
let dir: string;
let server: (Child & { dataDir: string }) | undefined;
let browser: Browser | undefined;
const seen: Array<{ topology: string; who: string } & Pair> = [];

async function stopAll() {
  await browser?.close().catch(() => {});
  browser = undefined;
  await server?.stop();
  server = undefined;
}

/** Two participants in `clientNs` join one room; they see each other, record a clip; the pairs used are returned. */
async function journey(topology: string, clientNs: string): Promise<Pair[]> {
  const t0 = Date.now();
  browser = await chromiumIn(lab, clientNs, dir, [`--host-resolver-rules=MAP ${SITE} ${PUBLIC_IP}`, '--ignore-certificate-errors']);
  const room = `netns-${topology}-${process.pid}`;
  const pages: Page[] = [];
  for (const name of ['Ana', 'Ben']) {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    await observe(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`    [${topology} ${name}] page error: ${e.message}`));
    await page.goto(`${ORIGIN}/?session=${room}&name=${name}`, { timeout: 20_000 });
    pages.push(page);
  }
  const [a, b] = pages;
  await waitFor(
    'both participants see both videos playing',
    async () => [...(await tiles(a)), ...(await tiles(b))],
    (t) => t.length === 4 && t.every((x) => x.playing),
    30_000,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}\n  peer connections: Ana ${(await peerStates(a)).join(', ')}; Ben ${(await peerStates(b)).join(', ')}`);
  });
  // A decoded frame is not enough: each remote video keeps advancing.
  for (const p of pages) {
    const [t1] = await remoteVideoTimes(p);
    assert.ok(t1 !== undefined, 'a remote video with a decoded frame');
    await waitFor(
      'the remote video advancing',
      () => remoteVideoTimes(p),
      (t) => t.length === 1 && t[0] > t1 + 0.5,
      10_000,
    );
  }
  const joined = Date.now() - t0;

  const started = await apiFromPage(a, 'POST', `/sessions/${room}/clips`, {});
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const id = String(started.body.id);
  await sleep(CLIP_SECONDS * 1000); // the clip's length, both publishing
  const stopped = await apiFromPage(a, 'POST', `/clips/${encodeURIComponent(id)}/stop`, undefined);
  assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
  await waitFor(
    'the clip ready',
    () => apiFromPage(b, 'GET', `/clips/${encodeURIComponent(id)}`),
    (r) => r.body.status === 'ready',
    30_000,
  );
  // Probed over HTTP from the client's namespace, through the NAT.
  const ffprobe = lab.wrapper(clientNs, resolveFfprobePath(), dir, `ffprobe-${topology}`);
  const media = await probe(`https://${PUBLIC_IP}/api/clips/${encodeURIComponent(id)}/media`, { ffprobePath: ffprobe });
  assert.ok(media.duration >= CLIP_SECONDS - 1 && media.duration <= CLIP_SECONDS + 6, `clip duration ${media.duration}`);
  assert.ok(
    media.streams.some((s) => s.codec_type === 'video' && (s.width ?? 0) > 0),
    `a video stream: ${JSON.stringify(media.streams)}`,
  );

  const pairs: Pair[] = [];
  for (const [who, p] of [
    ['Ana', a],
    ['Ben', b],
  ] as const) {
    const mine = await selectedPairs(p);
    // Each participant publishes once and receives the other: two peer connections, both connected.
    assert.equal(mine.length, 2, `${who}'s connected peer connections: ${JSON.stringify(mine)}`);
    for (const pair of mine) seen.push({ topology, who, ...pair });
    pairs.push(...mine);
  }
  const types = media.streams.map((s) => s.codec_name).join('+');
  console.log(`    ${topology}: joined and seeing both in ${joined} ms; clip ${media.duration.toFixed(2)} s (${types}); total ${Date.now() - t0} ms`);
  await browser.close();
  browser = undefined;
  return pairs;
}

describe('the embedded server behind NAT, in network namespaces', { skip: unsupported, timeout: 400_000 }, () => {
  before(async () => {
    ensureBuild(); // before `npm start` (its own check would build inside the namespace, within its start timeout)
    sweepLeftovers();
    lab = new Lab();
    // Interrupted or crashed: the namespaces and what runs in them still go (teardown is synchronous).
    process.once('exit', () => lab.teardown());
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.once(sig, () => {
        lab.teardown();
        process.exit(130);
      });
    dir = mkdtempSync(path.join(os.tmpdir(), 'ov-netns-run-'));
    const t0 = Date.now();
    topo = buildTopology(lab);
    const built = Date.now() - t0;
    // The public-site configuration: a certificate for the site's name (as certbot's would be) and PUBLIC_URL.
    const pems = await generate([{ name: 'commonName', value: SITE }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: SITE }] }],
    });
    writeFileSync(path.join(dir, 'fullchain.pem'), pems.cert);
    writeFileSync(path.join(dir, 'privkey.pem'), pems.private);
    server = await npmStartIn(topo.server, {
      PORT: '443',
      HOST: SERVER_IP,
      TLS_CERT: path.join(dir, 'fullchain.pem'),
      TLS_KEY: path.join(dir, 'privkey.pem'),
      PUBLIC_URL: ORIGIN,
      // TURN URLs by address: the namespaces have no DNS, and Chromium's TURN client does not use --host-resolver-rules
      // (it waits on the machine's resolver, unreachable without UDP: +12 s to join).
      TURN_HOST: PUBLIC_IP,
      MEDIA_PUBLIC_IP: PUBLIC_IP,
      MEDIA_LISTEN_IP: SERVER_IP,
      MEDIA_PORT_RANGE: '40000-40099',
      TURN: 'embedded', // coturn as the server's child, in the server's namespace, relaying on 10.1.0.2
      TURN_RELAY_PORT_RANGE: '49160-49259',
    });
    console.log(`    namespaces built in ${built} ms; npm start ready in ${Date.now() - t0 - built} ms`);
  });

  after(async () => {
    await stopAll();
    lab?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('1. server behind 1:1 NAT, client on the internet: the server candidate is its public address', async () => {
    const pairs = await journey('1-direct', topo.clients.direct);
    for (const p of pairs) assert.equal(p.remote.address, PUBLIC_IP, `remote candidate ${JSON.stringify(p.remote)}`);
  });

  it('2. client behind its own NAT', async () => {
    const pairs = await journey('2-home-nat', topo.clients.home);
    for (const p of pairs) assert.equal(p.remote.address, PUBLIC_IP, `remote candidate ${JSON.stringify(p.remote)}`);
  });

  it('3. client whose network drops all UDP: joins through TURN over TCP', async () => {
    const pairs = await journey('3-no-udp', topo.clients.noudp);
    // Relayed by the TURN server over TCP. Chromium names it `relay`, or `prflx` when the media server saw it from
    // another address than the relay's announced one: coturn sends to a peer on its own public address through its
    // private one, so the media server (on the same host) answers for 10.1.0.2.
    for (const p of pairs) {
      assert.equal(p.local.relayProtocol, 'tcp', `local candidate ${JSON.stringify(p.local)}`);
      assert.ok(['relay', 'prflx'].includes(p.local.type), `local candidate ${JSON.stringify(p.local)}`);
      assert.equal(p.remote.address, PUBLIC_IP, `remote candidate ${JSON.stringify(p.remote)}`);
    }
  });

  it('leaves nothing behind: no process in the namespaces once stopped, no namespace or interface after', async () => {
    console.log('    candidate pairs in use (client side: local → remote):');
    for (const s of seen) {
      const relay = s.local.relayProtocol ? ` via TURN/${s.local.relayProtocol}` : '';
      console.log(
        `      ${s.topology.padEnd(11)} ${s.who} ${s.direction.padEnd(9)} ${s.local.type}/${s.local.protocol}${relay} ${s.local.address} → ${s.remote.type}/${s.remote.protocol} ${s.remote.address}`,
      );
    }
    await stopAll();
    // The server finishes its clips and its OpenVidu process after npm has gone: bounded wait for an empty namespace.
    for (const ns of [topo.server, ...Object.values(topo.clients)])
      await waitFor(
        `no process left in ${ns}`,
        async () => lab.pidsIn(ns),
        (pids) => pids.length === 0,
        15_000,
      );
    lab.teardown();
    assert.deepEqual(lab.leftovers(), []);
  });
});
