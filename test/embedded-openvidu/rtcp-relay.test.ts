import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { GenericNack, RTCPeerConnection, RtcpPayloadSpecificFeedback, RtcpTransportLayerFeedback, type RTCRtpTransceiver } from 'werift';
import { launchChromium } from '../helpers/browser.js';
import { startRawPublisher, type RawPublisher } from '../helpers/raw-publisher.js';
import { SubscriberEndpoint } from '../../demo-server/embedded-openvidu/media/subscriber.js';
import { peerConfig } from '../../demo-server/embedded-openvidu/media/peer-config.js';
import { isVp8KeyframeStart } from '../../demo-server/embedded-openvidu/media/timeline.js';

/*
 * Subscriber feedback reaches the publisher: a raw subscriber (werift in Node, as a browser would be) sends
 * NACK and FIR to its SubscriberEndpoint; the publisher is Chromium behind a PublisherEndpoint, whose own RTCP
 * counters (outbound-rtp nackCount, pliCount) and retransmitted packets show what arrived.
 */

const CHROME = process.env.CHROME_PATH || '/usr/bin/chromium';
const skip = existsSync(CHROME) ? false : `no Chromium at ${CHROME}`;
const NET = { host: '127.0.0.1' };
/** The FMT of a Full Intra Request (RFC 5104 §4.3.1), not exported by werift. */
const FIR_FMT = 4;
/** Past this, a new subscriber is no longer started with the publisher's latest keyframe (BURST_MAX_AGE_MS). */
const BURST_STALE_MS = 1100;

/** Polls an async condition every 25 ms; fails after `ms` with `what` (a message, or a function giving one). */
async function until(fn: () => unknown, ms: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out: ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let browser: Browser;
let pub: RawPublisher;

before(async () => {
  if (skip) return;
  browser = await launchChromium();
  pub = await startRawPublisher(browser, { streamId: 'str_CAM_Rtcp_con_P', connectionId: 'con_P', audio: false, width: 320, height: 240 });
  await pub.waitForMedia(5);
});

after(async () => {
  await pub?.close();
  await browser?.close();
});

/** The publisher's video outbound-rtp counters, as Chromium reports them. */
async function publisherCounters(): Promise<{ nackCount: number; pliCount: number; firCount: number }> {
  return pub.page.evaluate(async () => {
    const stats = await (window as unknown as { __pc: RTCPeerConnection }).__pc.getStats();
    let out = { nackCount: 0, pliCount: 0, firCount: 0 };
    stats.forEach((s) => {
      const r = s as RTCStats & Record<string, number | string | undefined>;
      if (r.type !== 'outbound-rtp' || r.kind !== 'video') return;
      out = { nackCount: Number(r.nackCount ?? 0), pliCount: Number(r.pliCount ?? 0), firCount: Number(r.firCount ?? 0) };
    });
    return out;
  });
}

interface RawSubscriber {
  endpoint: SubscriberEndpoint;
  transceiver: RTCRtpTransceiver;
  /** Sequence numbers of the video packets received, in arrival order. */
  seqs: number[];
  /** The payload of the first video packet received. */
  firstPayload: () => Buffer | undefined;
  /** The SSRC the SFU sends this subscriber's video with. */
  remoteSsrc: () => number;
  close(): Promise<void>;
}

/** A werift PeerConnection offering recvonly video to a SubscriberEndpoint of the publisher, as a browser does. */
async function rawSubscriber(): Promise<RawSubscriber> {
  const endpoint = new SubscriberEndpoint({ source: pub.endpoint, net: NET });
  const pc = new RTCPeerConnection(peerConfig(NET));
  const transceiver = pc.addTransceiver('video', { direction: 'recvonly' });
  const seqs: number[] = [];
  let ssrc = 0;
  let firstPayload: Buffer | undefined;
  pc.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      firstPayload ??= rtp.payload;
      ssrc = rtp.header.ssrc;
      seqs.push(rtp.header.sequenceNumber);
    }),
  );
  await pc.setLocalDescription(await pc.createOffer());
  await pc.setRemoteDescription({ type: 'answer', sdp: await endpoint.answer(pc.localDescription!.sdp) });
  await until(() => seqs.length > 0, 10_000, 'no video reached the raw subscriber');
  return {
    endpoint,
    transceiver,
    seqs,
    remoteSsrc: () => ssrc,
    firstPayload: () => firstPayload,
    close: async () => {
      await pc.close();
      await endpoint.close();
    },
  };
}

test('a NACK for packets the SFU does not hold goes to the publisher, in its sequence numbers, and is answered', { skip }, async () => {
  // No keyframe for a second: the new leg is not started with the latest one (a burst of older packets) but
  // with what the publisher sends now, so the packets just before it are recent enough for Chromium to resend.
  await until(() => Date.now() - pub.endpoint.stats.lastKeyframeAt > BURST_STALE_MS, 10_000, 'a keyframe every second');
  const sub = await rawSubscriber();
  try {
    // Packets sent before this subscriber's leg was up never passed through its sender: only the publisher has them.
    const first = sub.seqs[0];
    const wanted = [(first - 3) & 0xffff, (first - 2) & 0xffff];
    const seen = new Set<number>();
    const stop = pub.endpoint.onRtp('video', (rtp) => {
      if (wanted.includes(rtp.header.sequenceNumber)) seen.add(rtp.header.sequenceNumber);
    });
    const before = await publisherCounters();
    const r = sub.transceiver.receiver;
    await r.dtlsTransport.sendRtcp([
      new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: r.rtcpSsrc, mediaSourceSsrc: sub.remoteSsrc(), lost: wanted }) }),
    ]);
    await until(async () => (await publisherCounters()).nackCount > before.nackCount, 5_000, 'the publisher got no NACK');
    await until(
      () => seen.size === wanted.length,
      5_000,
      () => `retransmitted: ${[...seen].join(', ') || 'none'} of ${wanted.join(', ')}`,
    );
    stop();
  } finally {
    await sub.close();
  }
});

test('a NACK the SFU can answer from its own history is not passed on', { skip }, async () => {
  const sub = await rawSubscriber();
  try {
    await until(() => sub.seqs.length >= 3, 5_000, 'too little video');
    const relayed = pub.endpoint.stats.nacksRelayed;
    const r = sub.transceiver.receiver;
    const nack = (lost: number[]) => {
      const feedback = new GenericNack({ senderSsrc: r.rtcpSsrc, mediaSourceSsrc: sub.remoteSsrc(), lost });
      return r.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({ feedback })]);
    };
    const received = sub.seqs.length;
    // Served from the SFU's history: the packet arrives again at the subscriber.
    const held = sub.seqs[sub.seqs.length - 1];
    await nack([held]);
    await until(() => sub.seqs.slice(received).includes(held), 5_000, 'the SFU did not resend a packet it holds');
    // Then one it cannot serve: relayed. The count tells the first was not.
    await nack([(sub.seqs[0] - 5) & 0xffff]);
    await until(() => pub.endpoint.stats.nacksRelayed > relayed, 5_000, 'nothing relayed');
    assert.equal(pub.endpoint.stats.nacksRelayed, relayed + 1);
  } finally {
    await sub.close();
  }
});

test('a subscriber whose leg connects just after a keyframe starts with it, without a new keyframe request', { skip }, async () => {
  // Make a keyframe now, then connect a subscriber within the second after it.
  const pli = (await publisherCounters()).pliCount;
  pub.endpoint.requestKeyframe();
  const keyframes = pub.endpoint.stats.keyframes;
  await until(() => pub.endpoint.stats.keyframes > keyframes, 5_000, 'no keyframe');
  const requests = pub.endpoint.stats.keyframeRequests;
  await until(async () => (await publisherCounters()).pliCount > pli, 5_000, 'the publisher did not count the PLI');
  const sub = await rawSubscriber();
  try {
    assert.ok(Date.now() - pub.endpoint.stats.lastKeyframeAt < BURST_STALE_MS, 'set-up too slow: the keyframe is already stale');
    const first = sub.firstPayload();
    assert.ok(first && isVp8KeyframeStart(first), 'the first video packet the subscriber got is not the start of a keyframe');
    assert.equal(pub.endpoint.stats.keyframeRequests, requests, 'a keyframe was asked for although one had just been sent');
  } finally {
    await sub.close();
  }
});

test('a FIR from a subscriber makes the publisher send a keyframe', { skip }, async () => {
  const sub = await rawSubscriber();
  try {
    // Let the keyframe request made when the leg connected go out first.
    await until(async () => (await publisherCounters()).pliCount > 0, 5_000, 'no keyframe request on connect');
    const keyframes = pub.endpoint.stats.keyframes;
    const before = await publisherCounters();
    const r = sub.transceiver.receiver;
    const ssrc = sub.remoteSsrc();
    const fir = Buffer.alloc(16);
    fir.writeUInt32BE(r.rtcpSsrc, 0);
    fir.writeUInt32BE(0, 4); // media source: unused in a FIR (RFC 5104)
    fir.writeUInt32BE(ssrc, 8);
    fir[12] = 1; // command sequence number
    const feedback = { count: FIR_FMT, length: fir.length / 4 - 1, serialize: () => fir };
    await r.dtlsTransport.sendRtcp([new RtcpPayloadSpecificFeedback({ feedback: feedback as unknown as RtcpPayloadSpecificFeedback['feedback'] })]);
    await until(
      async () => {
        const c = await publisherCounters();
        return c.pliCount + c.firCount > before.pliCount + before.firCount;
      },
      5_000,
      'the publisher got no keyframe request',
    );
    await until(() => pub.endpoint.stats.keyframes > keyframes, 5_000, 'no new keyframe from the publisher');
  } finally {
    await sub.close();
  }
});
