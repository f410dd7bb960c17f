import { newConnectionId, newSessionId, newStreamId, newTokenId } from './ids.js';
import {
  Connection,
  DEFAULT_RECORDING_PROPERTIES,
  Session,
  streamJson,
  type MediaOptions,
  type PublishedStream,
  type Role,
  type RpcPeer,
  type SessionProperties,
} from './model.js';
import { RpcCodes, RpcError } from './errors.js';
import { PublisherEndpoint } from './media/publisher.js';
import { SubscriberEndpoint } from './media/subscriber.js';
import type { MediaNetwork } from './media/peer-config.js';
import type { CandidateInit } from './media/ice-queue.js';
import type { WebhookSender } from './webhook.js';
import type { Logger } from './logger.js';
import type { RecordingManager } from './recording/manager.js';

export const VERSION = '2.32.2';
/** Kurento/OpenVidu: a dropped socket keeps its participant this long for `connect` (protocol §5.3). */
export const RECONNECTION_GRACE_MS = 10_000;
/** CE's OPENVIDU_SESSIONS_GARBAGE_INTERVAL and _THRESHOLD defaults, in seconds. */
export const SESSIONS_GARBAGE_INTERVAL_S = 900;
export const SESSIONS_GARBAGE_THRESHOLD_S = 3600;
/**
 * Early ICE candidates per connection: how many endpoint names may wait for their endpoint at once, and how many
 * candidates each (also what one PeerConnection takes in all). openvidu-browser sends its offer before its
 * candidates, so names rarely wait at all; Chromium gathered 16 candidates per PeerConnection on a host with five
 * addresses (two per address and transport).
 */
export const MAX_EARLY_CANDIDATE_ENDPOINTS = 16;
export const MAX_CANDIDATES_PER_ENDPOINT = 64;

export interface CoreOptions {
  /** ws(s)://host:port, no trailing slash: the base of every token. */
  wsPublicUrl: string;
  net: MediaNetwork;
  log: Logger;
  /** Replaceable at run time (`EmbeddedOpenVidu.setWebhook`). */
  webhook?: WebhookSender;
  /** ICE servers handed to browsers in `joinRoom`; never empty, or openvidu-browser falls back to public STUN. */
  iceServers: Array<{ url: string; username?: string; credential?: string }>;
  reconnectionGraceMs?: number;
  /** Early-candidate caps (defaults: MAX_EARLY_CANDIDATE_ENDPOINTS, MAX_CANDIDATES_PER_ENDPOINT). */
  maxEarlyCandidateEndpoints?: number;
  maxCandidatesPerEndpoint?: number;
  /** CE's session garbage collector, in seconds: interval 0 disables it (CE's defaults: 900 and 3600). */
  sessionsGarbageInterval?: number;
  sessionsGarbageThreshold?: number;
  /** CE-strict mode: none of this server's additions to CE's behaviour (docs/embedded-openvidu.md#ce-strict-mode). */
  ceStrict?: boolean;
}

/** Why a session closes (the `reason` of `sessionDestroyed`), as CE's EndReason names it. */
export type SessionCloseReason = 'sessionClosedByServer' | 'lastParticipantLeft' | 'automaticStop' | 'recordingStoppedByServer' | 'openviduServerStopped';

export type LeaveReason =
  'disconnect' | 'forceDisconnectByUser' | 'forceDisconnectByServer' | 'sessionClosedByServer' | 'networkDisconnect' | 'openviduServerStopped';

const EVICTION_REASONS = new Set<LeaveReason>(['forceDisconnectByUser', 'forceDisconnectByServer', 'sessionClosedByServer', 'openviduServerStopped']);

/**
 * The in-memory OpenVidu model and every operation on it. REST and JSON-RPC are thin adapters over this class,
 * so both paths produce the same notifications, webhooks and recording side effects, in the same order.
 */
export class OpenViduCore {
  readonly sessions = new Map<string, Session>();
  /** Joined participants by their JSON-RPC session id (for `connect` after a socket drop). */
  readonly byRpcSession = new Map<string, Connection>();
  recordings!: RecordingManager;
  private garbageTimer?: NodeJS.Timeout;

  constructor(readonly opts: CoreOptions) {}

  get log() {
    return this.opts.log;
  }

  // ------------------------------------------------------------------ webhooks

  private hook(event: string, session: Session, extra: Record<string, unknown> = {}, timestamp = Date.now()) {
    this.opts.webhook?.send({ event, sessionId: session.id, uniqueSessionId: session.uniqueSessionId, timestamp, ...extra });
  }

  private endHook(event: string, session: Session, startTime: number, reason: string, extra: Record<string, unknown>) {
    const now = Date.now();
    this.hook(event, session, { ...extra, startTime, duration: Math.round((now - startTime) / 1000), reason }, now);
  }

  /** Used by the recording manager: `recordingStatusChanged`. */
  recordingHook(session: Session | { id: string; uniqueSessionId: string }, extra: Record<string, unknown>) {
    this.opts.webhook?.send({
      event: 'recordingStatusChanged',
      sessionId: session.id,
      uniqueSessionId: session.uniqueSessionId,
      timestamp: Date.now(),
      ...extra,
    });
  }

  private participantHookData(c: Connection) {
    return {
      participantId: c.id,
      connectionId: c.id,
      location: c.location ?? 'unknown',
      ip: c.ip ?? '',
      platform: c.platform ?? '',
      clientData: c.clientData ?? '',
      serverData: c.serverData,
    };
  }

  private webrtcHookData(owner: Connection, stream: PublishedStream, subscriber?: Connection) {
    const m = stream.media;
    const data: Record<string, unknown> = {
      streamId: stream.streamId,
      participantId: (subscriber ?? owner).id,
      connectionId: (subscriber ?? owner).id,
      connection: subscriber ? 'INBOUND' : 'OUTBOUND',
    };
    if (subscriber) data.receivingFrom = owner.id;
    if (m.hasVideo) {
      data.videoSource = m.typeOfVideo;
      data.videoFramerate = m.frameRate;
      data.videoDimensions = m.videoDimensions;
    }
    data.audioEnabled = m.hasAudio;
    data.videoEnabled = m.hasVideo;
    return data;
  }

  // ------------------------------------------------------------------ sessions

  createSession(props: SessionProperties): Session {
    const id = props.customSessionId || newSessionId();
    const session = new Session(id, Date.now(), props);
    this.sessions.set(id, session);
    this.hook('sessionCreated', session, {}, session.createdAt);
    this.log.debug('session created', { id });
    return session;
  }

  defaultSessionProperties(): SessionProperties {
    return {
      mediaMode: 'ROUTED',
      recordingMode: 'MANUAL',
      customSessionId: '',
      forcedVideoCodec: 'MEDIA_SERVER_PREFERRED',
      allowTranscoding: false,
      defaultRecordingProperties: { ...DEFAULT_RECORDING_PROPERTIES },
    };
  }

  /** Closes a session: evicts everyone, stops its recording, forgets it. */
  async closeSession(session: Session, reason: SessionCloseReason) {
    if (session.closed) return;
    session.closed = true;
    clearTimeout(session.autostopTimer);
    const leaveReason: LeaveReason = reason === 'openviduServerStopped' ? 'openviduServerStopped' : 'sessionClosedByServer';
    for (const c of session.active()) await this.leave(c, leaveReason, { closingSession: true });
    if (session.recordingId) {
      await this.recordings
        .stopForSession(session, reason)
        .catch((err) => this.log.error(`stopping recording of ${session.id} failed: ${(err as Error).message}`));
    }
    this.forget(session);
    this.endHook('sessionDestroyed', session, session.createdAt, reason, {});
    this.log.debug('session closed', { id: session.id, reason });
  }

  /** Marks a closed session's connections gone and drops it from the maps. */
  private forget(session: Session) {
    for (const c of session.connections.values()) {
      c.gone = true;
      c.earlyCandidates.clear();
    }
    session.tokens.clear();
    this.sessions.delete(session.id);
  }

  // ------------------------------------------------------------------ garbage collection (CE's SessionManager)

  get garbageCollectorRunning(): boolean {
    return this.garbageTimer !== undefined;
  }

  /** Runs `collectGarbage` every OPENVIDU_SESSIONS_GARBAGE_INTERVAL seconds; 0 disables it, as in CE. */
  startGarbageCollector() {
    const interval = this.opts.sessionsGarbageInterval ?? SESSIONS_GARBAGE_INTERVAL_S;
    if (interval <= 0 || this.garbageTimer) return;
    this.garbageTimer = setInterval(() => this.collectGarbage(), interval * 1000);
    this.garbageTimer.unref();
  }

  /**
   * CE closes "non-active" sessions (created over REST, never joined) older than the threshold, counted from the
   * session's creation, and sends no webhook for them (`SessionManager.closeNonActiveSessions` only cleans its
   * collections; the tokens go with the session). Beyond CE, unused tokens (pending connections) older than the
   * threshold are also revoked in sessions that live on, so a session kept alive by one participant does not
   * accumulate tokens (not in CE-strict mode). Returns what was collected.
   */
  collectGarbage(now = Date.now()): { sessions: number; tokens: number } {
    const threshold = (this.opts.sessionsGarbageThreshold ?? SESSIONS_GARBAGE_THRESHOLD_S) * 1000;
    let sessions = 0;
    let tokens = 0;
    for (const session of [...this.sessions.values()]) {
      if (session.closed) continue;
      const old = now - session.createdAt > threshold;
      if (old && !session.everActive && session.active().length === 0 && session.recordingId === undefined) {
        session.closed = true;
        clearTimeout(session.autostopTimer);
        this.forget(session);
        sessions++;
        this.log.info(`non-active session ${session.id} cleaned up`);
        continue;
      }
      for (const c of this.opts.ceStrict ? [] : [...session.connections.values()]) {
        if (c.status === 'pending' && !c.gone && now - c.createdAt > threshold) {
          session.connections.delete(c.id);
          session.tokens.delete(c.token);
          c.gone = true;
          tokens++;
        }
      }
      // CE only warns about these: a session that had participants closes when the last one leaves.
      if (session.everActive && session.active().length === 0 && session.recordingId === undefined) this.log.warn(`possible ghost session ${session.id}`);
    }
    if (sessions || tokens) this.log.debug('garbage collected', { sessions, tokens });
    return { sessions, tokens };
  }

  // ------------------------------------------------------------------ connections (tokens)

  createConnection(
    session: Session,
    p: { role: Role; data: string; record: boolean; kurentoOptions: Record<string, unknown> | null; customIceServers: Array<Record<string, unknown>> },
  ): Connection {
    const id = newConnectionId();
    const token = `${this.opts.wsPublicUrl}?sessionId=${session.id}&token=${newTokenId()}`;
    const c = new Connection(id, session.id, token, Date.now(), p.role, p.record, p.data, p.kurentoOptions, p.customIceServers);
    session.connections.set(id, c);
    session.tokens.set(token, c);
    return c;
  }

  /** REST `DELETE …/connection/{id}`: revoke a pending token or evict an active participant. */
  async destroyConnection(session: Session, c: Connection, reason: LeaveReason = 'forceDisconnectByServer') {
    if (c.status === 'pending') {
      session.connections.delete(c.id);
      session.tokens.delete(c.token);
      c.gone = true;
      return;
    }
    await this.leave(c, reason);
  }

  // ------------------------------------------------------------------ join / leave

  joinRoom(
    peer: RpcPeer,
    rpcSessionId: string,
    params: { token?: unknown; session?: unknown; platform?: unknown; metadata?: unknown },
  ): Record<string, unknown> {
    const sessionId = typeof params.session === 'string' ? params.session : '';
    const session = this.sessions.get(sessionId);
    if (!session || session.closed) {
      throw new RpcError(RpcCodes.ROOM_NOT_FOUND, `Unable to join session ${sessionId}. Session ${sessionId} cannot be found`);
    }
    const token = typeof params.token === 'string' ? params.token : '';
    const c = session.tokens.get(token);
    if (!c || c.status !== 'pending' || c.gone) {
      throw new RpcError(RpcCodes.UNAUTHORIZED, `Unable to join session ${sessionId}. Token ${token} is not valid`);
    }
    session.tokens.delete(token); // single use
    session.everActive = true;
    // A recording's autostop countdown goes on: as in CE, only a new publisher cancels it.

    c.status = 'active';
    c.activeAt = Date.now();
    c.peer = peer;
    c.rpcSessionId = rpcSessionId;
    c.ip = peer.remoteAddress;
    c.location = 'unknown';
    c.platform = typeof params.platform === 'string' ? params.platform : '';
    c.clientData = typeof params.metadata === 'string' ? params.metadata : params.metadata == null ? '' : JSON.stringify(params.metadata);
    this.byRpcSession.set(rpcSessionId, c);

    const others = session.active().filter((o) => o !== c);
    for (const o of others) o.notify('participantJoined', { id: c.id, createdAt: c.activeAt, metadata: c.metadata() });
    this.hook('participantJoined', session, this.participantHookData(c));

    const result: Record<string, unknown> = {
      id: c.id,
      finalUserId: c.id.slice(4).toUpperCase(),
      createdAt: c.activeAt,
      metadata: c.metadata(),
      value: others.map((o) => {
        const entry: Record<string, unknown> = { id: o.id, createdAt: o.activeAt, metadata: o.metadata() };
        if (o.publisher) entry.streams = [streamJson(o.publisher)];
        return entry;
      }),
      session: session.id,
      version: VERSION,
      mediaServer: 'kurento',
      videoSimulcast: false,
      record: c.record,
      role: c.role,
      customIceServers: c.customIceServers.length ? c.customIceServers : this.opts.iceServers,
    };
    const rec = session.recordingId ? this.recordings.get(session.recordingId) : undefined;
    if (rec && this.recordings.notifies(c.role)) {
      result.recordingId = rec.id;
      result.recordingName = rec.name;
    }
    this.log.debug('joined', { session: session.id, connection: c.id });
    return result;
  }

  /**
   * A participant leaves (RPC leaveRoom, REST/RPC eviction, grace expiry, session close). Order of side effects
   * follows OpenVidu: webrtcConnectionDestroyed hooks, participantLeft to the others, participantEvicted when
   * forced, participantLeft hook, then the session closes if it was the last one.
   */
  async leave(c: Connection, reason: LeaveReason, opts: { closingSession?: boolean } = {}) {
    if (c.gone) return;
    const session = this.sessions.get(c.sessionId);
    c.gone = true;
    clearTimeout(c.graceTimer);
    clearTimeout(c.pingTimer);
    c.earlyCandidates.clear();
    if (c.rpcSessionId) this.byRpcSession.delete(c.rpcSessionId);
    c.peer?.left?.();
    if (!session) return;

    // Own subscriptions, own publisher, then others' subscriptions to it (protocol §7.4).
    for (const sub of [...c.subscriptions.values()]) this.dropSubscription(session, c, sub.publisherConnectionId, reason);
    const others = session.active().filter((o) => o !== c);
    if (c.publisher) {
      for (const o of others) if (o.subscriptions.has(c.id)) this.dropSubscription(session, o, c.id, reason);
      await this.dropPublisher(session, c, reason, { notify: false });
    }
    session.connections.delete(c.id);

    for (const o of others) o.notify('participantLeft', { connectionId: c.id, reason });
    if (EVICTION_REASONS.has(reason)) {
      for (const o of [...others, c]) o.notify('participantEvicted', { connectionId: c.id, reason });
      // CE closes the evicted participant's socket itself a while later; the browser leaves on the notification.
      const peer = c.peer;
      if (peer) setTimeout(() => peer.close(1000, 'evicted'), 1000).unref();
    }
    this.endHook('participantLeft', session, c.activeAt ?? c.createdAt, reason, this.participantHookData(c));
    this.log.debug('left', { session: session.id, connection: c.id, reason });

    if (!opts.closingSession && session.active().length === 0) {
      if (session.recordingId) this.recordings.lastParticipantLeft(session);
      else await this.closeSession(session, 'lastParticipantLeft');
    }
  }

  // ------------------------------------------------------------------ socket loss and reconnection

  socketClosed(c: Connection, peer: RpcPeer) {
    if (c.gone || c.peer !== peer) return;
    c.peer = undefined;
    clearTimeout(c.graceTimer);
    c.graceTimer = setTimeout(() => {
      void this.leave(c, 'networkDisconnect');
    }, this.opts.reconnectionGraceMs ?? RECONNECTION_GRACE_MS);
    c.graceTimer.unref();
  }

  /** `connect {sessionId, reconnect:true}` on a new socket; false means error 40007. */
  reconnect(rpcSessionId: string, peer: RpcPeer): Connection | undefined {
    const c = this.byRpcSession.get(rpcSessionId);
    if (!c || c.gone) return undefined;
    clearTimeout(c.graceTimer);
    c.graceTimer = undefined;
    const old = c.peer;
    c.peer = peer;
    if (old && old !== peer) old.close(4104, 'socket replaced');
    return c;
  }

  // ------------------------------------------------------------------ publish / subscribe

  async publish(
    c: Connection,
    p: {
      sdpOffer: string;
      hasAudio: boolean;
      hasVideo: boolean;
      audioActive: boolean;
      videoActive: boolean;
      typeOfVideo?: string;
      frameRate: number;
      videoDimensions?: string;
      filter?: Record<string, unknown>;
    },
  ): Promise<{ sdpAnswer: string; id: string; createdAt: number }> {
    const session = this.requireSession(c);
    if (c.role === 'SUBSCRIBER') throw new RpcError(RpcCodes.UNAUTHORIZED, `User ${c.id} is not authorized to publish in session ${session.id}`);
    if (c.publisher) throw new RpcError(RpcCodes.USER_ALREADY_STREAMING, `User ${c.id} is already publishing in session ${session.id}`);
    const media: MediaOptions = {
      hasAudio: p.hasAudio,
      hasVideo: p.hasVideo,
      audioActive: p.audioActive,
      videoActive: p.videoActive,
      typeOfVideo: p.hasVideo ? (p.typeOfVideo ?? 'CAMERA') : undefined,
      frameRate: p.frameRate,
      videoDimensions: p.hasVideo ? p.videoDimensions : undefined,
      filter: p.filter ?? {},
    };
    const streamId = newStreamId(c.id, media.typeOfVideo, media.hasVideo);
    const endpoint = new PublisherEndpoint({
      streamId,
      connectionId: c.id,
      hasAudio: media.hasAudio,
      hasVideo: media.hasVideo,
      videoDimensions: parseDims(media.videoDimensions),
      net: this.opts.net,
      maxRemoteCandidates: this.maxCandidatesPerEndpoint,
    });
    const stream: PublishedStream = { streamId, createdAt: Date.now(), media, endpoint };
    c.publisher = stream;
    let sdpAnswer: string;
    try {
      sdpAnswer = await endpoint.answer(p.sdpOffer);
    } catch (err) {
      c.publisher = undefined;
      c.earlyCandidates.delete(c.id);
      await endpoint.close();
      throw new RpcError(RpcCodes.SDP_ERROR, `Error generating SDP answer: ${(err as Error).message}`);
    }
    if (c.gone || c.publisher !== stream) {
      await endpoint.close();
      throw new RpcError(RpcCodes.NOT_CONNECTED, 'Participant left while publishing');
    }
    await this.applyEarlyCandidates(c, c.id, (cand) => endpoint.addRemoteCandidate(cand));
    this.hook('webrtcConnectionCreated', session, this.webrtcHookData(c, stream));
    // participantPublished goes out after the response (the RPC layer calls announcePublished).
    return { sdpAnswer, id: streamId, createdAt: stream.createdAt };
  }

  announcePublished(c: Connection) {
    const session = this.sessions.get(c.sessionId);
    if (!session || !c.publisher || c.gone) return;
    const streams = [streamJson(c.publisher)];
    for (const o of session.active()) if (o !== c) o.notify('participantPublished', { id: c.id, streams });
    this.recordings.streamPublished(session, c);
  }

  /** `reconnectStream` for a publisher: same stream id, subscribers stay attached. */
  async republish(c: Connection, streamId: string, sdpOffer: string) {
    if (!c.publisher || c.publisher.streamId !== streamId) throw new RpcError(RpcCodes.USER_NOT_STREAMING, `Stream ${streamId} not found`);
    const sdpAnswer = await c.publisher.endpoint.answer(sdpOffer).catch((err) => {
      throw new RpcError(RpcCodes.SDP_ERROR, `Error generating SDP answer: ${(err as Error).message}`);
    });
    return { sdpAnswer, id: c.publisher.streamId, createdAt: c.publisher.createdAt };
  }

  async unpublish(c: Connection, reason: 'unpublish' | 'forceUnpublishByUser' | 'forceUnpublishByServer') {
    const session = this.requireSession(c);
    if (!c.publisher) throw new RpcError(RpcCodes.USER_NOT_STREAMING, `User ${c.id} is not publishing`);
    for (const o of session.active()) if (o !== c && o.subscriptions.has(c.id)) this.dropSubscription(session, o, c.id, reason);
    await this.dropPublisher(session, c, reason, { notify: true, notifyOwner: reason !== 'unpublish' });
  }

  private async dropPublisher(session: Session, c: Connection, reason: string, o: { notify: boolean; notifyOwner?: boolean }) {
    const stream = c.publisher;
    if (!stream) return;
    c.publisher = undefined;
    // Nobody can subscribe to it any more: candidates waiting for such a subscription are dropped.
    for (const o of session.connections.values()) o.earlyCandidates.delete(c.id);
    this.endHook('webrtcConnectionDestroyed', session, stream.createdAt, reason, this.webrtcHookData(c, stream));
    if (o.notify) {
      for (const x of session.active()) {
        if (x !== c || o.notifyOwner) x.notify('participantUnpublished', { connectionId: c.id, reason });
      }
    }
    this.recordings.streamUnpublished(session, stream);
    await stream.endpoint.close();
  }

  async subscribe(c: Connection, streamId: string, sdpOffer: string, reconnect = false): Promise<string> {
    const session = this.requireSession(c);
    const publisherId = streamId.slice(streamId.lastIndexOf('con_'));
    const owner = session.connections.get(publisherId);
    if (!owner || owner.gone || owner.status !== 'active')
      throw new RpcError(RpcCodes.USER_NOT_FOUND, `User ${publisherId} not found in session ${session.id}`);
    if (!owner.publisher || owner.publisher.streamId !== streamId)
      throw new RpcError(RpcCodes.USER_NOT_STREAMING, `User ${publisherId} is not streaming ${streamId}`);
    const existing = c.subscriptions.get(owner.id);
    if (existing && reconnect) {
      return existing.endpoint.answer(sdpOffer).catch((err) => {
        throw new RpcError(RpcCodes.SDP_ERROR, `Error generating SDP answer: ${(err as Error).message}`);
      });
    }
    if (existing) this.dropSubscription(session, c, owner.id, 'unsubscribe');
    const endpoint = new SubscriberEndpoint({ source: owner.publisher.endpoint, net: this.opts.net, maxRemoteCandidates: this.maxCandidatesPerEndpoint });
    const sub = { streamId, publisherConnectionId: owner.id, createdAt: Date.now(), endpoint };
    c.subscriptions.set(owner.id, sub);
    // A second receiveVideoFrom for the same publisher may replace this one while it negotiates: only ever
    // remove our own entry, or the newer endpoint would stay open with no map entry to close it by.
    const current = () => c.subscriptions.get(owner.id) === sub;
    let sdpAnswer: string;
    try {
      sdpAnswer = await endpoint.answer(sdpOffer);
    } catch (err) {
      if (current()) {
        c.subscriptions.delete(owner.id);
        c.earlyCandidates.delete(owner.id);
      }
      void endpoint.close();
      throw new RpcError(RpcCodes.SDP_ERROR, `Error generating SDP answer: ${(err as Error).message}`);
    }
    if (!current() || c.gone || !owner.publisher) {
      if (current()) c.subscriptions.delete(owner.id);
      void endpoint.close();
      throw new RpcError(RpcCodes.USER_NOT_STREAMING, `Subscription to ${streamId} was replaced or ended while negotiating`);
    }
    await this.applyEarlyCandidates(c, owner.id, (cand) => endpoint.addRemoteCandidate(cand));
    this.hook('webrtcConnectionCreated', session, this.webrtcHookData(owner, owner.publisher, c));
    return sdpAnswer;
  }

  unsubscribe(c: Connection, publisherConnectionId: string) {
    const session = this.requireSession(c);
    if (!c.subscriptions.has(publisherConnectionId)) throw new RpcError(RpcCodes.USER_NOT_FOUND, `Not subscribed to ${publisherConnectionId}`);
    this.dropSubscription(session, c, publisherConnectionId, 'unsubscribe');
  }

  private dropSubscription(session: Session, c: Connection, publisherConnectionId: string, reason: string) {
    const sub = c.subscriptions.get(publisherConnectionId);
    if (!sub) return;
    c.subscriptions.delete(publisherConnectionId);
    const owner = session.connections.get(publisherConnectionId);
    if (owner?.publisher) this.endHook('webrtcConnectionDestroyed', session, sub.createdAt, reason, this.webrtcHookData(owner, owner.publisher, c));
    void sub.endpoint.close();
  }

  private get maxCandidatesPerEndpoint() {
    return this.opts.maxCandidatesPerEndpoint ?? MAX_CANDIDATES_PER_ENDPOINT;
  }

  /**
   * `onIceCandidate`: endpointName is the stream owner's connection id (protocol §4.4). Candidates are kept only
   * for endpoints that exist or can be negotiated: the connection's own publisher, and subscriptions to active
   * publishers of the same session. CE accepts any name (it creates a subscriber endpoint for it, without bound);
   * here an unknown name is refused with CE's "user not found" and stored nowhere.
   */
  async iceCandidate(c: Connection, endpointName: string, cand: CandidateInit) {
    const session = this.requireSession(c);
    const own = endpointName === c.id;
    const endpoint = own ? c.publisher?.endpoint : c.subscriptions.get(endpointName)?.endpoint;
    // Past the per-endpoint cap candidates are dropped, not refused: a host with very many interfaces still
    // connects with the first ones, and openvidu-browser would turn an error into an exception event.
    if (endpoint) {
      if (!(await endpoint.addRemoteCandidate(cand))) this.log.debug('ICE candidate dropped: endpoint has its share', { connection: c.id, endpointName });
      return;
    }
    if (own ? c.role === 'SUBSCRIBER' : !isActivePublisher(session.connections.get(endpointName), c)) {
      // No endpoint can ever take it: kept nowhere. Answered without error, as CE does (it accepts any name): a
      // candidate still in flight when its publisher leaves is normal, and openvidu-browser would turn an error
      // into an `exception` event that the room reports as an error.
      this.log.debug('ICE candidate for no endpoint dropped', { connection: c.id, endpointName });
      return;
    }
    if (!cand.candidate) return; // end-of-candidates: nothing to keep
    // Early candidate: its endpoint does not exist yet.
    let list = c.earlyCandidates.get(endpointName);
    if (!list) {
      if (c.earlyCandidates.size >= (this.opts.maxEarlyCandidateEndpoints ?? MAX_EARLY_CANDIDATE_ENDPOINTS)) {
        throw new RpcError(RpcCodes.LIMIT_EXCEEDED, 'Too many endpoints with pending ICE candidates');
      }
      list = [];
      c.earlyCandidates.set(endpointName, list);
    }
    if (list.length < this.maxCandidatesPerEndpoint) list.push(cand);
    else this.log.debug('early ICE candidate dropped: endpoint has its share', { connection: c.id, endpointName });
  }

  private async applyEarlyCandidates(c: Connection, endpointName: string, apply: (cand: CandidateInit) => Promise<unknown>) {
    const list = c.earlyCandidates.get(endpointName);
    if (!list) return;
    c.earlyCandidates.delete(endpointName);
    for (const cand of list) await apply(cand);
  }

  // ------------------------------------------------------------------ signals and stream properties

  /** Fan a signal out. `from` undefined = a REST signal. `to` empty = everyone (sender included). */
  signal(session: Session, from: Connection | undefined, to: string[], type: string, data: string) {
    const targets = to.length === 0 ? session.active() : to.map((id) => session.connections.get(id)!);
    const params: Record<string, unknown> = { data, type };
    if (from) params.from = from.id;
    for (const t of targets) t.notify('sendMessage', params);
    this.hook('signalSent', session, { from: from?.id ?? null, to: targets.map((t) => t.id), type, data });
  }

  /** Returns the ids in `to` that are not participants of the session. */
  unknownTargets(session: Session, to: unknown[]): unknown[] {
    return to.filter(
      (id) => typeof id !== 'string' || !session.connections.get(id) || session.connections.get(id)!.status !== 'active' || session.connections.get(id)!.gone,
    );
  }

  streamPropertyChanged(c: Connection, p: { streamId: string; property: string; newValue: unknown; reason: string }) {
    const session = this.requireSession(c);
    const stream = c.publisher;
    if (!stream || stream.streamId !== p.streamId) throw new RpcError(RpcCodes.USER_NOT_STREAMING, `Stream ${p.streamId} not found`);
    const m = stream.media;
    if (p.property === 'audioActive') m.audioActive = p.newValue === true || p.newValue === 'true';
    else if (p.property === 'videoActive') m.videoActive = p.newValue === true || p.newValue === 'true';
    else if (p.property === 'videoDimensions' && typeof p.newValue === 'string') {
      m.videoDimensions = p.newValue;
      const d = parseDims(p.newValue);
      if (d) stream.endpoint.setVideoDimensions(d);
    }
    // The notification carries the JSON serialisation of what the client sent (protocol §3.7).
    const notification = {
      connectionId: c.id,
      streamId: p.streamId,
      property: p.property,
      newValue: JSON.stringify(p.newValue),
      reason: p.reason,
    };
    for (const o of session.active()) if (o !== c) o.notify('streamPropertyChanged', notification);
  }

  // ------------------------------------------------------------------ helpers

  requireSession(c: Connection): Session {
    const s = this.sessions.get(c.sessionId);
    if (!s || c.gone) throw new RpcError(RpcCodes.NOT_CONNECTED, 'No connection found for this participant');
    return s;
  }

  findStream(session: Session, streamId: string): Connection | undefined {
    return session.active().find((c) => c.publisher?.streamId === streamId);
  }

  /** Stop everything: used by close(). */
  async shutdown() {
    clearInterval(this.garbageTimer);
    this.garbageTimer = undefined;
    for (const s of [...this.sessions.values()]) await this.closeSession(s, 'openviduServerStopped');
  }
}

function isActivePublisher(o: Connection | undefined, self: Connection): boolean {
  return !!o && o !== self && !o.gone && o.status === 'active' && !!o.publisher;
}

export function parseDims(v: string | undefined): { width: number; height: number } | undefined {
  if (!v) return undefined;
  try {
    const d = JSON.parse(v) as { width?: unknown; height?: unknown };
    if (typeof d.width === 'number' && typeof d.height === 'number') return { width: d.width, height: d.height };
  } catch {
    /* not JSON */
  }
  return undefined;
}
