// One truth for a clip on the server: the webhook and the REST API map a recording to the same clip (under the
// gateway's API base), and the server's clip events follow the core's ordering rule (never backwards, deletion final).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { Recording } from 'openvidu-node-client';
import type { Services } from '../../demo-server/src/app.js';
import { ErrorReply } from '../../demo-server/src/schemas/common.js';
import type { Clip } from '../../demo-server/src/schemas/clips.js';
import { webhookRoutes } from '../../demo-server/src/routes/webhooks.js';
import { ClipEvents } from '../../demo-server/src/services/clip-events.js';
import { EventBus } from '../../demo-server/src/services/event-bus.js';
import { OpenViduGateway, encodeClipName } from '../../demo-server/src/services/openvidu-gateway.js';
import { startTestServer, type TestServer } from '../helpers/app-server.js';
import { SseClient } from '../helpers/sse.js';

const clipProps = { resolution: '640x480', frameRate: 25, hasAudio: true, hasVideo: true };
const T0 = 1_700_000_000_000;

/** OpenVidu's REST JSON of a recording, and the `recordingStatusChanged` webhook for the same state. */
function recordingInBothForms(id: string, status: string, extra: { url?: string; recovered?: boolean } = {}) {
  const common = { id, name: encodeClipName('Première prise'), outputMode: 'COMPOSED', resolution: '640x480', frameRate: 25, hasAudio: true, hasVideo: false };
  const done = status === 'ready' || status === 'failed';
  const json = {
    ...common,
    object: 'recording',
    recordingLayout: 'BEST_FIT',
    sessionId: 'truth-room',
    createdAt: T0,
    size: done ? 123_456 : 0,
    duration: done ? 3.25 : 0,
    url: extra.url ?? null,
    status,
  };
  // The node client types the REST answer as the `JSON` namespace: it takes OpenVidu's JSON as it comes.
  const rest = new Recording(json as unknown as JSON);
  const hook = {
    event: 'recordingStatusChanged',
    sessionId: 'truth-room',
    uniqueSessionId: 'truth-room_1',
    timestamp: T0 + 9000,
    startTime: T0,
    ...common,
    recordingLayout: 'BEST_FIT',
    size: done ? 123_456 : 0,
    duration: done ? 3.25 : 0,
    status,
    ...(extra.recovered ? { recovered: true } : {}),
  };
  return { rest, hook };
}

describe('one clip truth on the server', () => {
  let app: FastifyInstance;
  let gateway: OpenViduGateway;
  let clips: ClipEvents;
  const heard: Clip[] = [];

  before(async () => {
    // A server whose API lives under /v1: the gateway is told so; nothing listens at its OpenVidu URL.
    gateway = new OpenViduGateway({ url: 'http://127.0.0.1:9', secret: 'TRUTH_SECRET', timeoutMs: 300, clip: clipProps, apiBase: '/v1' });
    const bus = new EventBus();
    app = Fastify({ logger: false });
    clips = new ClipEvents(gateway, bus, app.log);
    app.decorate('services', { config: { webhookToken: undefined }, gateway, bus, clips } as unknown as Services);
    app.addSchema(ErrorReply);
    await app.register(webhookRoutes);
    bus.subscribe('truth-room', (e) => {
      if (e.type === 'clip') heard.push(e.data as Clip);
    });
  });

  after(async () => {
    clips?.close();
    await app?.close();
  });

  it('a webhook gives the same clip as the REST API for the same recording, media URLs under the API base', async () => {
    const cases = [
      recordingInBothForms('truth-room', 'started'),
      recordingInBothForms('truth-room~1', 'stopped'),
      recordingInBothForms('truth-room~2', 'ready', { url: 'http://ov/openvidu/recordings/truth-room~2/truth-room~2.mp4' }),
      recordingInBothForms('truth-room~3', 'ready', { url: 'http://ov/openvidu/recordings/truth-room~3/truth-room~3.recovered.mp4', recovered: true }),
      recordingInBothForms('truth-room~4', 'failed'),
    ];
    for (const { rest, hook } of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/webhooks/openvidu', payload: hook });
      assert.equal(res.statusCode, 200, res.body);
      const fromHook = heard.at(-1)!;
      assert.equal(fromHook.id, rest.id, `the webhook for ${rest.id} (${rest.status}) was published`);
      assert.deepEqual(fromHook, gateway.toClip(rest), `${rest.id} (${rest.status})`);
      assert.equal(fromHook.mediaUrl, `/v1/clips/${encodeURIComponent(rest.id)}/media`);
      assert.equal(fromHook.thumbnailUrl, `/v1/clips/${encodeURIComponent(rest.id)}/thumbnail`);
    }
    assert.deepEqual(
      heard.map((c) => [c.status, c.recovered ?? false, c.error !== undefined]),
      [
        ['recording', false, false],
        ['processing', false, false],
        ['ready', false, false],
        ['ready', true, false],
        ['failed', false, true],
      ],
    );
  });
});

describe("the server's clip events follow the ordering rule (full server, SSE)", () => {
  let server: TestServer;
  const streams: SseClient[] = [];

  before(async () => {
    server = await startTestServer({ RATE_LIMIT_PER_MINUTE: '100000' });
  });

  after(async () => {
    for (const s of streams) s.close();
    await server?.stop();
  });

  const hook = async (body: Record<string, unknown>) => {
    const token = server.app.services.config.webhookToken;
    const res = await fetch(`${server.url}/api/webhooks/openvidu`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.text());
  };
  const status = (id: string, st: string, startTime: number) =>
    hook({ event: 'recordingStatusChanged', sessionId: 'order-room', timestamp: Date.now(), startTime, id, status: st, hasAudio: true, hasVideo: true });

  it('a late processing or recording after ready is not published; deletion is final for that clip, and a new clip reusing its id is news', async () => {
    const stream = new SseClient(`${server.url}/api/sessions/order-room/events`);
    streams.push(stream);
    await stream.ready;
    const clipEvents = (id: string) => stream.events.filter((e) => e.event === 'clip' && e.data.id === id).map((e) => `${e.data.status}@${e.data.createdAt}`);

    await status('order-room', 'started', T0);
    await status('order-room', 'stopped', T0);
    await status('order-room', 'ready', T0);
    await stream.waitFor((e) => e.event === 'clip' && e.data.id === 'order-room' && e.data.status === 'ready');
    // Late news of the same clip (a webhook delivered late, a stop answer racing the webhook): not published.
    await status('order-room', 'stopped', T0);
    await status('order-room', 'started', T0);
    assert.equal(server.app.services.clips.publish({ ...stream.events.at(-1)!.data, status: 'processing' }), false, 'a late processing from our own call');
    // Barrier: a later event, published after those, must arrive first.
    await status('order-room~1', 'started', T0 + 1);
    await stream.waitFor((e) => e.event === 'clip' && e.data.id === 'order-room~1');
    assert.deepEqual(clipEvents('order-room'), [`recording@${T0}`, `processing@${T0}`, `ready@${T0}`]);

    // Deleted: a late ready of that clip is not published. The embedded server reuses a deleted recording's id
    // for the room's next recording: a clip with a new start time is a new clip.
    server.app.services.clips.deleted('order-room', 'order-room~1');
    await stream.waitFor((e) => e.event === 'clip-deleted' && e.data.id === 'order-room~1');
    await status('order-room~1', 'ready', T0 + 1);
    await status('order-room~1', 'started', T0 + 5000);
    await stream.waitFor((e) => e.event === 'clip' && e.data.id === 'order-room~1' && e.data.createdAt === T0 + 5000);
    assert.deepEqual(clipEvents('order-room~1'), [`recording@${T0 + 1}`, `recording@${T0 + 5000}`]);
  });
});
