import type { Emitter } from '../emitter.js';
import type { CaptureOptions, ParticipantInfo, Role, StreamInfo } from '../types.js';
import { awaitMedia, type OvConnection, type OvSession, type OvStream } from './openvidu-adapter.js';
import type { LiveRoomEvents } from './room-api.js';

const SEPARATOR = '%/%';

/**
 * OpenVidu's `client%/%server` connection data → name, role and the screen-share link, from the server part only:
 * a participant writes its client data itself. The server part follows the last separator (a client may put `%/%`
 * in its own data; the reference server escapes `%` in its JSON). Data without a separator is client data as far as
 * we can tell (OpenVidu drops the separator when one side is empty): its name and role are shown, as from a backend
 * that sets no server data at all, and it never links a screen. Our own connections always send client data.
 */
export function parseConnectionData(data: string | undefined): { name: string; role?: Role; screenOf?: string } {
  const d = data ?? '';
  const i = d.lastIndexOf(SEPARATOR);
  const parse = (s: string): Record<string, unknown> => {
    try {
      const v = JSON.parse(s) as unknown;
      return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const server = i < 0 ? undefined : parse(d.slice(i + SEPARATOR.length));
  const client = server ? {} : parse(d);
  const role = str((server ?? client).role);
  return {
    name: (server ? str(server.name) : str(client.clientData) || str(client.name)) || '',
    role: role === 'subscriber' || role === 'publisher' ? role : undefined,
    screenOf: str(server?.screenOf) || undefined,
  };
}

interface Entry {
  id: string;
  name: string;
  role: Role;
  isLocal: boolean;
  speaking: boolean;
  /** Its own (camera) connection is in the room; false while only its screen connection is. */
  connected: boolean;
  /** streamId → stream; camera first when listed. */
  streams: Map<string, StreamInfo>;
}

/** A stream as StreamInfo (no MediaStream yet for a remote one). */
export function streamInfo(
  s: OvStream,
  kind: StreamInfo['kind'],
  isLocal: boolean,
  connectionId = s.connection.connectionId,
  mediaStream?: MediaStream,
): StreamInfo {
  const { streamId, hasAudio, hasVideo, audioActive, videoActive } = s;
  return { streamId, connectionId, kind, isLocal, hasAudio, hasVideo, audioActive, videoActive, mediaStream };
}

/**
 * Who is in the room, from the camera session's connections and streams. A screen-share connection is folded into
 * its owner when the server linked it (server data `screenOf`), or when it is our own; anyone else is a participant
 * of its own. Announces the changes as the room's `participantJoined`, `participantLeft` and `participantsChanged`.
 */
export class Participants {
  readonly #all = new Map<string, Entry>();
  /** Screen connection id → owner's camera connection id (from server data, or our own screen connection). */
  readonly #screenOwners = new Map<string, string>();

  /**
   * `localId`: our camera connection's id, as openvidu-browser knows it (it may tell of that connection before
   * connect() ends); `inRoom`: whether newcomers are announced (not after we left).
   */
  readonly #events: Emitter<LiveRoomEvents>;
  readonly #localId: () => string | undefined;
  readonly #inRoom: () => boolean;

  constructor(events: Emitter<LiveRoomEvents>, localId: () => string | undefined, inRoom: () => boolean) {
    this.#events = events;
    this.#localId = localId;
    this.#inRoom = inRoom;
  }

  get list(): ParticipantInfo[] {
    return [...this.#all.values()].map(info);
  }
  get local(): ParticipantInfo | undefined {
    const p = this.#all.get(this.#localId() ?? '');
    return p && info(p);
  }
  /** Watch-only participants (role `subscriber`, no stream). */
  get watching(): number {
    return [...this.#all.values()].filter((p) => p.role === 'subscriber' && !p.streams.size).length;
  }

  changed() {
    this.#events.emit('participantsChanged', { participants: this.list });
  }

  clear() {
    this.#all.clear();
    this.#screenOwners.clear();
  }

  addLocal(id: string, name: string, role: Role) {
    this.#all.set(id, { id, name, role, isLocal: true, speaking: false, connected: true, streams: new Map() });
  }

  /** Our own stream (camera, or screen through our screen connection). */
  addLocalStream(info: StreamInfo) {
    this.#all.get(this.#localId() ?? '')?.streams.set(info.streamId, info);
  }

  /** Our screen connection: folded into us, and no longer listed as someone if our camera connection saw it first. */
  linkScreen(connectionId: string) {
    this.#screenOwners.set(connectionId, this.#localId()!);
    if (this.#all.delete(connectionId)) this.changed();
  }

  /** Our screen is gone: its streams too. */
  dropLocalScreen() {
    const local = this.#all.get(this.#localId() ?? '');
    if (local) for (const [id, s] of local.streams) if (s.kind === 'screen') local.streams.delete(id);
  }

  find(streamId: string): StreamInfo | undefined {
    for (const p of this.#all.values()) {
      const s = p.streams.get(streamId);
      if (s) return s;
    }
    return undefined;
  }

  /** A stream's microphone or camera was turned on or off. */
  setActive(streamId: string, what: string, on: unknown) {
    const s = this.find(streamId);
    if (!s || (what !== 'audioActive' && what !== 'videoActive') || s[what] === !!on) return;
    s[what] = !!on;
    this.changed();
  }

  speaking(connectionId: string, on: boolean) {
    const p = this.#all.get(this.#ownerOf(connectionId));
    if (!p || p.speaking === on) return;
    p.speaking = on;
    this.changed();
  }

  /**
   * A connection is a participant of its own unless the server linked it to its owner's (server data `screenOf`):
   * then it is folded into the owner, who is listed even before (or after) the owner's own connection is there, so
   * no connection that receives media goes unlisted.
   */
  connectionCreated(c: OvConnection) {
    const id = c.connectionId;
    const local = this.#localId();
    if (id === local || this.#screenOwners.get(id) === local) return; // ours
    const data = parseConnectionData(c.data);
    const ownerId = data.screenOf ?? id;
    const known = this.#all.get(ownerId);
    if (data.screenOf) {
      this.#screenOwners.set(id, ownerId);
      if (known || ownerId === local) return;
    } else if (known) {
      known.connected = true;
      return;
    }
    const p: Entry = {
      id: ownerId,
      name: data.name,
      role: data.role ?? 'publisher',
      isLocal: false,
      speaking: false,
      connected: !data.screenOf,
      streams: new Map(),
    };
    this.#all.set(ownerId, p);
    if (!this.#inRoom()) return;
    this.#events.emit('participantJoined', { participant: info(p) });
    this.changed();
  }

  /** Someone is listed while any of its connections is in the room. */
  connectionDestroyed(c: OvConnection, reason: string) {
    const id = c.connectionId;
    const owner = this.#screenOwners.get(id);
    this.#screenOwners.delete(id);
    const p = this.#all.get(owner ?? id);
    if (!p || (p.isLocal && !owner)) return;
    for (const [sid, s] of p.streams) if (s.connectionId === id) p.streams.delete(sid);
    if (!owner) p.connected = false;
    if (!p.isLocal && !p.connected && ![...this.#screenOwners.values()].includes(p.id)) {
      this.#all.delete(p.id);
      this.#events.emit('participantLeft', { participant: info(p), reason });
    }
    this.changed();
  }

  /** A remote stream, listed under its owner; answers it unless it is our own screen seen from our camera connection. */
  streamCreated(stream: OvStream): StreamInfo | undefined {
    const cid = stream.connection.connectionId;
    // streamCreated can come with a connection we have not seen (it carries the data too).
    if (!this.#screenOwners.has(cid) && !this.#all.has(cid)) this.connectionCreated(stream.connection);
    const ownerId = this.#ownerOf(cid);
    const owner = this.#all.get(ownerId);
    if (ownerId === this.#localId() || !owner) return;
    const s = streamInfo(stream, cid !== ownerId || stream.typeOfVideo === 'SCREEN' ? 'screen' : 'camera', false);
    owner.streams.set(s.streamId, s);
    return s;
  }

  /** Someone's stream: listed, subscribed, and its MediaStream shown once it has its tracks (until `signal` aborts). */
  subscribe(session: OvSession, stream: OvStream, signal: AbortSignal, fail: (err: unknown) => void) {
    const info = this.streamCreated(stream);
    if (!info) return;
    try {
      session.subscribe(stream, undefined);
    } catch (err) {
      return fail(err);
    }
    this.changed();
    awaitMedia(
      stream,
      signal,
      () => this.find(info.streamId) === info,
      (ms) => {
        info.mediaStream = ms;
        this.changed();
      },
    );
  }

  streamDestroyed(stream: OvStream) {
    if (this.#all.get(this.#ownerOf(stream.connection.connectionId))?.streams.delete(stream.streamId)) this.changed();
  }

  /** The stream a capture source names: `local` (default), `active` (current speaker) or a stream id. */
  streamFor(source: CaptureOptions['source'] = 'local'): StreamInfo | undefined {
    const all = [...this.#all.values()];
    const camera = (p?: Entry) => (p ? [...p.streams.values()].find((s) => s.kind === 'camera' && s.mediaStream) : undefined);
    if (source === 'local') return camera(all.find((p) => p.isLocal));
    if (source === 'active') {
      return (
        camera(all.find((p) => p.speaking && !p.isLocal)) ??
        camera(all.find((p) => p.speaking)) ??
        camera(all.find((p) => !p.isLocal && camera(p))) ??
        camera(all.find((p) => p.isLocal))
      );
    }
    return this.find(source);
  }

  #ownerOf(connectionId: string): string {
    return this.#screenOwners.get(connectionId) ?? connectionId;
  }
}

/** A participant as the public API shows it: a copy, camera first. */
function info(p: Entry): ParticipantInfo {
  const streams = [...p.streams.values()].map((s) => ({ ...s }));
  streams.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'camera' ? -1 : 1));
  return { id: p.id, name: p.name, isLocal: p.isLocal, role: p.role, speaking: p.speaking, streams };
}
