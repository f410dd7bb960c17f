import type { PublisherEndpoint } from './media/publisher.js';
import type { SubscriberEndpoint } from './media/subscriber.js';
import type { CandidateInit } from './media/ice-queue.js';

export type MediaMode = 'ROUTED' | 'RELAYED';
export type RecordingMode = 'MANUAL' | 'ALWAYS';
export type OutputMode = 'COMPOSED' | 'COMPOSED_QUICK_START' | 'INDIVIDUAL';
export type RecordingLayout = 'BEST_FIT' | 'PICTURE_IN_PICTURE' | 'VERTICAL_PRESENTATION' | 'HORIZONTAL_PRESENTATION' | 'CUSTOM';
export type Role = 'SUBSCRIBER' | 'PUBLISHER' | 'MODERATOR';
export const ROLES: readonly Role[] = ['SUBSCRIBER', 'PUBLISHER', 'MODERATOR'];

export interface RecordingProperties {
  name: string;
  hasAudio: boolean;
  hasVideo: boolean;
  outputMode: OutputMode;
  recordingLayout: RecordingLayout;
  resolution: string;
  frameRate: number;
  shmSize: number;
  customLayout?: string;
  ignoreFailedStreams?: boolean;
}

export const DEFAULT_RECORDING_PROPERTIES: RecordingProperties = {
  name: '',
  hasAudio: true,
  hasVideo: true,
  outputMode: 'COMPOSED',
  recordingLayout: 'BEST_FIT',
  resolution: '1280x720',
  frameRate: 25,
  shmSize: 536870912,
};

export interface SessionProperties {
  mediaMode: MediaMode;
  recordingMode: RecordingMode;
  customSessionId: string;
  forcedVideoCodec: string;
  allowTranscoding: boolean;
  defaultRecordingProperties: RecordingProperties;
}

/** The JSON-RPC side of a joined participant: how the core talks back to its browser. */
export interface RpcPeer {
  notify(method: string, params: Record<string, unknown>): void;
  close(code?: number, reason?: string): void;
  /** The participant left the session while this socket stays open (the socket may then be closed). */
  left?(): void;
  readonly remoteAddress: string;
}

export interface MediaOptions {
  hasAudio: boolean;
  hasVideo: boolean;
  audioActive: boolean;
  videoActive: boolean;
  typeOfVideo?: string;
  frameRate: number;
  videoDimensions?: string;
  filter: Record<string, unknown>;
}

export interface PublishedStream {
  streamId: string;
  createdAt: number;
  media: MediaOptions;
  endpoint: PublisherEndpoint;
}

export interface Subscription {
  /** The publisher's stream id. */
  streamId: string;
  publisherConnectionId: string;
  createdAt: number;
  endpoint: SubscriberEndpoint;
}

export class Connection {
  status: 'pending' | 'active' = 'pending';
  activeAt: number | null = null;
  ip: string | null = null;
  location: string | null = null;
  platform: string | null = null;
  clientData: string | null = null;
  rpcSessionId?: string;
  peer?: RpcPeer;
  /** Set while the socket is gone and the reconnection grace runs. */
  graceTimer?: NodeJS.Timeout;
  publisher?: PublishedStream;
  readonly subscriptions = new Map<string, Subscription>(); // keyed by publisher connection id
  /**
   * Browser ICE candidates that arrived before their endpoint, keyed by endpointName: only the connection's own id
   * or an active publisher's, capped (`OpenViduCore.iceCandidate`); dropped when the endpoint appears, the
   * publisher goes or this connection leaves.
   */
  readonly earlyCandidates = new Map<string, CandidateInit[]>();
  /** Set once the connection has left the session; late RPCs are refused. */
  gone = false;
  pingTimer?: NodeJS.Timeout;

  constructor(
    readonly id: string,
    readonly sessionId: string,
    readonly token: string,
    readonly createdAt: number,
    readonly role: Role,
    readonly record: boolean,
    readonly serverData: string,
    readonly kurentoOptions: Record<string, unknown> | null,
    readonly customIceServers: Array<Record<string, unknown>>,
    readonly type: 'WEBRTC' = 'WEBRTC',
  ) {}

  /** `clientData%/%serverData`, or whichever is non-empty (protocol §2.5). */
  metadata(): string {
    const c = this.clientData ?? '';
    const s = this.serverData ?? '';
    return c && s ? `${c}%/%${s}` : c || s;
  }

  notify(method: string, params: Record<string, unknown>): void {
    this.peer?.notify(method, params);
  }

  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      object: 'connection',
      status: this.status,
      connectionId: this.id,
      sessionId: this.sessionId,
      createdAt: this.createdAt,
      type: this.type,
      record: this.record,
      role: this.role,
      kurentoOptions: this.kurentoOptions,
      customIceServers: this.customIceServers,
      rtspUri: null,
      adaptativeBitrate: null,
      onlyPlayWithSubscribers: null,
      networkCache: null,
      serverData: this.serverData,
      token: this.token,
      activeAt: this.activeAt,
      location: this.location,
      ip: this.ip,
      platform: this.platform,
      clientData: this.clientData,
      publishers: this.status === 'active' ? (this.publisher ? [publisherJson(this.publisher)] : []) : null,
      subscribers: this.status === 'active' ? [...this.subscriptions.values()].map((s) => ({ createdAt: s.createdAt, streamId: s.streamId })) : null,
    };
  }
}

function publisherJson(p: PublishedStream) {
  const m = p.media;
  const mediaOptions: Record<string, unknown> = { hasAudio: m.hasAudio, hasVideo: m.hasVideo };
  if (m.hasAudio) mediaOptions.audioActive = m.audioActive;
  if (m.hasVideo) {
    mediaOptions.videoActive = m.videoActive;
    mediaOptions.typeOfVideo = m.typeOfVideo;
    mediaOptions.frameRate = m.frameRate;
    mediaOptions.videoDimensions = m.videoDimensions;
  }
  mediaOptions.filter = m.filter;
  return { createdAt: p.createdAt, streamId: p.streamId, mediaOptions };
}

/** Stream object as openvidu-browser reads it in `joinRoom.value[]` and `participantPublished`. */
export function streamJson(p: PublishedStream): Record<string, unknown> {
  const m = p.media;
  const s: Record<string, unknown> = {
    id: p.streamId,
    createdAt: p.createdAt,
    hasAudio: m.hasAudio,
    hasVideo: m.hasVideo,
    audioActive: m.audioActive,
    videoActive: m.videoActive,
    frameRate: m.frameRate,
    filter: m.filter,
  };
  if (m.typeOfVideo !== undefined) s.typeOfVideo = m.typeOfVideo;
  if (m.videoDimensions !== undefined) s.videoDimensions = m.videoDimensions;
  return s;
}

export class Session {
  readonly connections = new Map<string, Connection>();
  readonly tokens = new Map<string, Connection>();
  /** Id of the recording in progress (started or starting). */
  recordingId?: string;
  autostopTimer?: NodeJS.Timeout;
  closed = false;
  /** Someone joined once: CE's "active" session, never garbage-collected (it closes when the last one leaves). */
  everActive = false;

  constructor(
    readonly id: string,
    readonly createdAt: number,
    readonly properties: SessionProperties,
  ) {}

  get uniqueSessionId(): string {
    return `${this.id}_${this.createdAt}`;
  }

  active(): Connection[] {
    return [...this.connections.values()].filter((c) => c.status === 'active' && !c.gone);
  }

  publishers(): Connection[] {
    return this.active().filter((c) => c.publisher);
  }

  toJSON(pendingConnections: boolean): Record<string, unknown> {
    const list = [...this.connections.values()].filter((c) => !c.gone && (c.status === 'active' || pendingConnections));
    const p = this.properties;
    return {
      id: this.id,
      object: 'session',
      sessionId: this.id,
      createdAt: this.createdAt,
      recording: this.recordingId !== undefined,
      broadcasting: false,
      mediaMode: p.mediaMode,
      recordingMode: p.recordingMode,
      defaultRecordingProperties: recordingPropertiesJson(p.defaultRecordingProperties),
      customSessionId: p.customSessionId,
      forcedVideoCodec: p.forcedVideoCodec,
      allowTranscoding: p.allowTranscoding,
      connections: { numberOfElements: list.length, content: list.map((c) => c.toJSON()) },
    };
  }
}

/** Only the fields OpenVidu includes for the output mode (protocol §6.1.1). */
export function recordingPropertiesJson(r: RecordingProperties): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: r.name,
    hasAudio: r.hasAudio,
    hasVideo: r.hasVideo,
    outputMode: r.outputMode,
  };
  if (r.outputMode !== 'INDIVIDUAL' && r.hasVideo) {
    out.recordingLayout = r.recordingLayout;
    out.resolution = r.resolution;
    out.frameRate = r.frameRate;
    out.shmSize = r.shmSize;
    if (r.recordingLayout === 'CUSTOM') out.customLayout = r.customLayout ?? '';
  }
  if (r.outputMode === 'INDIVIDUAL') out.ignoreFailedStreams = r.ignoreFailedStreams ?? false;
  return out;
}
