import type { OpenViduCore } from '../core.js';
import type { Connection, RpcPeer } from '../model.js';
import { RpcCodes, RpcError } from '../errors.js';

export interface RpcContext extends RpcPeer {
  readonly core: OpenViduCore;
  rpcSessionId: string;
  connection?: Connection;
  pinged(interval?: number): void;
  /** Binds the socket to its participant (stops the join timeout). */
  bind(c: Connection): void;
}

/** A result plus work to do once the response is on the wire (e.g. `participantPublished` after `publishVideo`). */
export class Reply {
  constructor(
    readonly result: unknown,
    readonly after?: () => void,
  ) {}
}

type Params = Record<string, unknown>;
type Handler = (ctx: RpcContext, p: Params) => unknown | Promise<unknown>;

const invalid = (msg: string) => new RpcError(RpcCodes.INVALID_PARAMS, msg);

function str(p: Params, key: string, opts: { optional?: boolean; max?: number } = {}): string {
  const v = p[key];
  if (v === undefined || v === null) {
    if (opts.optional) return '';
    throw invalid(`Missing parameter "${key}"`);
  }
  if (typeof v !== 'string') throw invalid(`Parameter "${key}" must be a string`);
  if (v.length > (opts.max ?? 64 * 1024)) throw invalid(`Parameter "${key}" is too long`);
  return v;
}

function bool(p: Params, key: string, dflt: boolean): boolean {
  const v = p[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw invalid(`Parameter "${key}" must be a boolean`);
  return v;
}

function joined(ctx: RpcContext): Connection {
  const c = ctx.connection;
  if (!c || c.gone) {
    throw new RpcError(RpcCodes.NOT_CONNECTED, 'No connection found for this participant. Session.connect() must be the first operation');
  }
  return c;
}

function requireModerator(c: Connection, what: string) {
  if (c.role !== 'MODERATOR') throw new RpcError(RpcCodes.UNAUTHORIZED, `User ${c.id} is not authorized to ${what}`);
}

const noop = () => ({});

/** Kurento filters are not available: the browser gets the error it gets for a filter its role may not use. */
const noFilters: Handler = (ctx) => {
  joined(ctx);
  throw new RpcError(RpcCodes.UNAUTHORIZED, 'Filters are not supported by this server');
};

export const handlers: Record<string, Handler> = {
  ping(ctx, p) {
    ctx.pinged(typeof p.interval === 'number' ? p.interval : undefined);
    return { value: 'pong' };
  },

  joinRoom(ctx, p) {
    if (ctx.connection && !ctx.connection.gone) throw new RpcError(RpcCodes.UNAUTHORIZED, 'This socket already joined a session');
    str(p, 'token', { max: 2048 });
    str(p, 'session', { max: 256 });
    const result = ctx.core.joinRoom(ctx, ctx.rpcSessionId, p);
    const c = ctx.core.byRpcSession.get(ctx.rpcSessionId);
    if (c) ctx.bind(c);
    return result;
  },

  async publishVideo(ctx, p) {
    const c = joined(ctx);
    if (p.doLoopback === true) throw new RpcError(RpcCodes.SDP_ERROR, 'doLoopback is not supported');
    const hasVideo = bool(p, 'hasVideo', true);
    const frameRate = typeof p.frameRate === 'number' && Number.isFinite(p.frameRate) ? p.frameRate : -1;
    const result = await ctx.core.publish(c, {
      sdpOffer: str(p, 'sdpOffer'),
      hasAudio: bool(p, 'hasAudio', true),
      hasVideo,
      audioActive: bool(p, 'audioActive', true),
      videoActive: bool(p, 'videoActive', true),
      typeOfVideo: hasVideo ? str(p, 'typeOfVideo', { optional: true, max: 16 }) || 'CAMERA' : undefined,
      frameRate,
      videoDimensions: hasVideo ? str(p, 'videoDimensions', { optional: true, max: 256 }) || undefined : undefined,
      filter: p.filter && typeof p.filter === 'object' ? (p.filter as Record<string, unknown>) : undefined,
    });
    return new Reply(result, () => ctx.core.announcePublished(c));
  },

  async onIceCandidate(ctx, p) {
    const c = joined(ctx);
    const candidate = str(p, 'candidate', { optional: true, max: 1024 });
    const sdpMLineIndex = typeof p.sdpMLineIndex === 'number' ? p.sdpMLineIndex : null;
    const sdpMid = typeof p.sdpMid === 'string' ? p.sdpMid : null;
    await ctx.core.iceCandidate(c, str(p, 'endpointName', { max: 128 }), { candidate, sdpMid, sdpMLineIndex });
    return {};
  },

  async receiveVideoFrom(ctx, p) {
    const c = joined(ctx);
    if (p.sdpOffer === undefined && p.sdpAnswer !== undefined) throw new RpcError(RpcCodes.SDP_ERROR, 'This server negotiates in client-offer (kurento) mode');
    const sdpAnswer = await ctx.core.subscribe(c, str(p, 'sender', { max: 256 }), str(p, 'sdpOffer'));
    return { sdpAnswer };
  },

  prepareReceiveVideoFrom() {
    throw new RpcError(RpcCodes.SDP_ERROR, 'This server negotiates in client-offer (kurento) mode');
  },

  unsubscribeFromVideo(ctx, p) {
    ctx.core.unsubscribe(joined(ctx), str(p, 'sender', { max: 256 }));
    return {};
  },

  async unpublishVideo(ctx) {
    await ctx.core.unpublish(joined(ctx), 'unpublish');
    return {};
  },

  leaveRoom(ctx) {
    const c = joined(ctx);
    return new Reply({}, () => void ctx.core.leave(c, 'disconnect'));
  },

  sendMessage(ctx, p) {
    const c = joined(ctx);
    const session = ctx.core.requireSession(c);
    let msg: unknown;
    try {
      msg = JSON.parse(str(p, 'message'));
    } catch {
      throw new RpcError(RpcCodes.SIGNAL_FORMAT_INVALID, 'Signal message is not valid JSON');
    }
    if (!msg || typeof msg !== 'object') throw new RpcError(RpcCodes.SIGNAL_FORMAT_INVALID, 'Signal message must be a JSON object');
    const m = msg as { to?: unknown; data?: unknown; type?: unknown };
    const to = m.to === undefined ? [] : m.to;
    if (!Array.isArray(to)) throw new RpcError(RpcCodes.SIGNAL_TO_INVALID, 'Signal "to" must be an array');
    if (ctx.core.unknownTargets(session, to).length)
      throw new RpcError(RpcCodes.SIGNAL_TO_INVALID, 'Signal "to" contains connections that are not in the session');
    const data = m.data === undefined || m.data === null ? '' : typeof m.data === 'string' ? m.data : JSON.stringify(m.data);
    const type = typeof m.type === 'string' && m.type ? m.type : 'signal';
    ctx.core.signal(session, c, to as string[], type, data);
    return {};
  },

  streamPropertyChanged(ctx, p) {
    const c = joined(ctx);
    ctx.core.streamPropertyChanged(c, {
      streamId: str(p, 'streamId', { max: 256 }),
      property: str(p, 'property', { max: 64 }),
      newValue: p.newValue,
      reason: str(p, 'reason', { optional: true, max: 64 }),
    });
    return {};
  },

  videoData(ctx) {
    joined(ctx);
    return {};
  },

  echo: noop,

  connect(ctx, p) {
    const rpcSessionId = str(p, 'sessionId', { max: 128 });
    const c = ctx.core.reconnect(rpcSessionId, ctx);
    if (!c) throw new RpcError(RpcCodes.RECONNECTION_ERROR, 'reconnection error');
    ctx.rpcSessionId = rpcSessionId;
    ctx.bind(c);
    return 'reconnection successful';
  },

  async reconnectStream(ctx, p) {
    const c = joined(ctx);
    const streamId = str(p, 'stream', { max: 256 });
    if (c.publisher?.streamId === streamId) return ctx.core.republish(c, streamId, str(p, 'sdpString'));
    if (p.sdpOffer === undefined) throw new RpcError(RpcCodes.SDP_ERROR, 'This server negotiates in client-offer (kurento) mode');
    const sdpAnswer = await ctx.core.subscribe(c, streamId, str(p, 'sdpOffer'), true);
    return { sdpAnswer };
  },

  async forceDisconnect(ctx, p) {
    const c = joined(ctx);
    requireModerator(c, 'force a disconnection');
    const session = ctx.core.requireSession(c);
    const target = session.connections.get(str(p, 'connectionId', { max: 128 }));
    if (!target || target.status !== 'active' || target.gone) throw new RpcError(RpcCodes.USER_NOT_FOUND, 'Connection not found');
    await ctx.core.leave(target, 'forceDisconnectByUser');
    return {};
  },

  async forceUnpublish(ctx, p) {
    const c = joined(ctx);
    requireModerator(c, 'force an unpublish');
    const session = ctx.core.requireSession(c);
    const owner = ctx.core.findStream(session, str(p, 'streamId', { max: 256 }));
    if (!owner) throw new RpcError(RpcCodes.USER_NOT_STREAMING, 'Stream not found');
    await ctx.core.unpublish(owner, 'forceUnpublishByUser');
    return {};
  },

  applyFilter: noFilters,
  execFilterMethod: noFilters,
  removeFilter: noFilters,
  addFilterEventListener: noFilters,
  removeFilterEventListener: noFilters,
  subscribeToSpeechToText() {
    throw new RpcError(RpcCodes.PRO_ONLY, 'Speech To Text requires OpenVidu Pro/Enterprise edition');
  },
  unsubscribeFromSpeechToText() {
    throw new RpcError(RpcCodes.PRO_ONLY, 'Speech To Text requires OpenVidu Pro/Enterprise edition');
  },
};
