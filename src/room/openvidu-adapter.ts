// The slice of openvidu-browser the room uses, and the few ways it uses it. Structural types, so tests can inject a
// fake `OpenVidu`.
import { missingApi, type BrowserSupport } from '../browser-support.js';
import { OvError, toOvError } from '../errors.js';
import type { OvErrorCode, Role } from '../types.js';

type Handler = (event: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
export interface OvConnection {
  connectionId: string;
  data: string;
}
export interface OvStream {
  streamId: string;
  connection: OvConnection;
  hasAudio: boolean;
  hasVideo: boolean;
  audioActive: boolean;
  videoActive: boolean;
  typeOfVideo?: string;
  getMediaStream(): MediaStream | undefined;
}
export interface OvStreamManager {
  stream: OvStream;
  on(event: string, fn: Handler): unknown;
}
export interface OvPublisher extends OvStreamManager {
  publishAudio(on: boolean): void;
  publishVideo(on: boolean): void;
}
export interface OvSession {
  connection?: OvConnection;
  on(event: string, fn: Handler): unknown;
  connect(token: string, metadata?: unknown): Promise<void>;
  disconnect(): void;
  publish(publisher: OvPublisher): Promise<void>;
  /** openvidu-browser 2.32 returns a promise, rejected when the server says no (not publishing, timed out). */
  unpublish(publisher: OvPublisher): void | Promise<void>;
  subscribe(stream: OvStream, target: undefined): OvStreamManager;
}
export interface OvInstance {
  initSession(): OvSession;
  initPublisherAsync(target: undefined, properties: object): Promise<OvPublisher>;
  enableProdMode?(): void;
  checkSystemRequirements?(): boolean;
}
export type OvConstructor = new () => OvInstance;

const MEDIA_POLL_MS = 50;
const MEDIA_POLL_LIMIT_MS = 30_000;

/** An OpenVidu instance in production mode (no console noise). */
export function openVidu(OV: OvConstructor): OvInstance {
  const ov = new OV();
  ov.enableProdMode?.();
  return ov;
}

/** Before any token: openvidu-browser checks the user agent only inside connect(), and WebRTC not at all. */
export function checkBrowser(ov: OvInstance, support: (() => BrowserSupport) | undefined, role: Role) {
  const publisher = role === 'publisher';
  const missing = support ? support().reason : ov.checkSystemRequirements?.() === false ? 'browser' : missingApi();
  if (missing === 'secureContext' && publisher) throw new OvError('INSECURE_CONTEXT', 'Camera and microphone need a page served over HTTPS (or localhost)');
  if (missing && missing !== 'secureContext' && (missing !== 'getUserMedia' || publisher)) {
    throw new OvError('BROWSER_NOT_SUPPORTED', `This browser cannot join: ${missing === 'browser' ? 'openvidu-browser does not support it' : `no ${missing}`}`);
  }
}

/** `p`, with whatever it rejects with as an OvError (`code` unless openvidu-browser's error name says better). */
export function attempt<T>(p: Promise<T>, code: OvErrorCode): Promise<T> {
  return p.catch((err: unknown) => {
    throw toOvError(err, code);
  });
}

/** Connects with a token, sending our name as client data; answers our connection. */
export async function connect(session: OvSession, token: string, name: string, code: OvErrorCode): Promise<OvConnection> {
  await attempt(session.connect(token, { clientData: name }), code);
  return session.connection!;
}

/**
 * A publisher (its media opened: `code` on failure), then published (`publishCode`). `onPublisher` gets it in
 * between, to own its tracks (or throw).
 */
export async function publish(
  ov: OvInstance,
  session: OvSession,
  properties: object,
  code: OvErrorCode,
  onPublisher: (p: OvPublisher) => void,
  publishCode = code,
) {
  const publisher = await attempt(ov.initPublisherAsync(undefined, { mirror: false, ...properties }), code);
  onPublisher(publisher);
  await attempt(session.publish(publisher), publishCode);
  return publisher;
}

/** Camera and microphone (640×480 at 30 fps) published, each on or muted: as `publish`, opened → published. */
export function publishCamera(ov: OvInstance, session: OvSession, audio: boolean, video: boolean, onPublisher: (p: OvPublisher) => void) {
  const properties = { audioSource: undefined, videoSource: undefined, publishAudio: audio, publishVideo: video, resolution: '640x480', frameRate: 30 };
  return publish(ov, session, properties, 'DEVICE_ACCESS_DENIED', onPublisher, 'CONNECT_FAILED');
}

/** Registers session handlers that run only while `current()` (a replaced or closed session is mute). */
export function wire(session: OvSession, current: () => boolean, handlers: Record<string, Handler>) {
  for (const [event, fn] of Object.entries(handlers)) session.on(event, (e) => current() && fn(e));
}

/**
 * Subscribers without a <video> fire no `streamPlaying`: polls until the remote MediaStream has its tracks, then
 * calls `ready` with it (with what it has after 30 s). Stops once `signal` aborted or `wanted()` turned false.
 */
export function awaitMedia(stream: OvStream, signal: AbortSignal, wanted: () => boolean, ready: (ms: MediaStream) => void) {
  const started = Date.now();
  const want = Math.max(1, (stream.hasAudio ? 1 : 0) + (stream.hasVideo ? 1 : 0));
  const check = () => {
    if (signal.aborted || !wanted()) return;
    const ms = stream.getMediaStream();
    const n = ms?.getTracks().length ?? 0;
    if (ms && (n >= want || (n > 0 && Date.now() - started > MEDIA_POLL_LIMIT_MS))) return ready(ms);
    if (Date.now() - started > MEDIA_POLL_LIMIT_MS) return;
    setTimeout(check, MEDIA_POLL_MS);
  };
  check();
}

/** Unpublish and disconnect one openvidu-browser connection, then stop its tracks; anything already gone is fine. */
export function closeConnection(session: OvSession, publisher?: OvPublisher, media?: MediaStream) {
  try {
    // A throw or a rejection alike ("not publishing", "Request has timed out"): the connection is closed next anyway.
    if (publisher) session.unpublish(publisher)?.catch(() => undefined);
  } catch {
    /* not published */
  }
  try {
    session.disconnect();
  } catch {
    /* already disconnected */
  }
  media?.getTracks().forEach((t) => t.stop());
}
