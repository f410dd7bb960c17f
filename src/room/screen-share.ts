import { OvError, toOvError } from '../errors.js';
import type { StreamInfo } from '../types.js';
import { attempt, closeConnection, connect, openVidu, publish, type OvConstructor, type OvPublisher, type OvSession } from './openvidu-adapter.js';
import { streamInfo } from './participants.js';

/** What a screen share needs from its room. */
export interface ScreenHost {
  OV: OvConstructor;
  getDisplayMedia(): Promise<MediaStream>;
  /** Our name, sent as client data like the camera connection's. */
  name(): string;
  /** A screen token (with the camera token's grant); `signal` aborts when the share stops. */
  token(signal: AbortSignal): Promise<string>;
  /** Our screen connection is in the room (before its stream is). */
  connected(connectionId: string): void;
  /** The browser's own "Stop sharing" ended the capture. */
  ended(): void;
}

/** The screen picker: a MediaStream with a video track, or SCREEN_SHARE_FAILED / SCREEN_SHARE_CANCELLED. */
async function captureScreen(getDisplayMedia: () => Promise<MediaStream>): Promise<MediaStream> {
  // Only a refusal or a closed picker (NotAllowedError, AbortError) is SCREEN_SHARE_CANCELLED.
  const media = await attempt(getDisplayMedia(), 'SCREEN_SHARE_FAILED');
  const track = media.getVideoTracks()[0];
  if (!track) {
    media.getTracks().forEach((t) => t.stop());
    throw new OvError('SCREEN_SHARE_FAILED', 'The screen capture has no video');
  }
  if ('contentHint' in track && !track.contentHint) track.contentHint = 'detail'; // text stays sharp
  return media;
}

const cancelled = () => new OvError('SCREEN_SHARE_CANCELLED', 'Screen share stopped while starting');

/**
 * The screen share: a second connection of its own, so others see camera and screen at once. One at a time; `stop()`
 * ends it at any point, and a start still under way then rejects with SCREEN_SHARE_CANCELLED.
 */
export class ScreenShare {
  #abort?: AbortController;
  #session?: OvSession;
  #publisher?: OvPublisher;
  #media?: MediaStream;
  readonly #host: ScreenHost;

  constructor(host: ScreenHost) {
    this.#host = host;
  }

  /** Started (or starting). */
  get active(): boolean {
    return !!this.#abort;
  }

  /**
   * Picks a screen, connects and publishes it; answers its stream, or nothing when already sharing. `joined` is the
   * room's: once it aborts (the room left), the start is cancelled.
   */
  async start(joined: AbortSignal): Promise<StreamInfo | undefined> {
    if (this.#abort) return;
    const media = await captureScreen(this.#host.getDisplayMedia);
    const abort = (this.#abort = new AbortController());
    const { signal } = abort;
    const check = () => {
      if (signal.aborted || joined.aborted) throw cancelled();
    };
    const ov = openVidu(this.#host.OV);
    const session = (this.#session = ov.initSession());
    const track = (this.#media = media).getVideoTracks()[0];
    track.addEventListener('ended', () => signal.aborted || this.#host.ended());
    try {
      check();
      const token = await this.#host.token(signal);
      check();
      // No screen marker of ours: the server links the connection to its owner (from the grant), or nothing does.
      const cid = (await connect(session, token, this.#host.name(), 'SCREEN_SHARE_FAILED'))?.connectionId;
      if (cid) this.#host.connected(cid);
      const video = { audioSource: false, videoSource: track, publishAudio: false, publishVideo: true };
      const publisher = await publish(ov, session, video, 'SCREEN_SHARE_FAILED', (p) => {
        this.#publisher = p;
        check();
      });
      check();
      return streamInfo(publisher.stream, 'screen', true, cid, media);
    } catch (err) {
      const stopped = signal.aborted;
      if (!stopped) this.stop();
      throw stopped ? cancelled() : toOvError(err, 'SCREEN_SHARE_FAILED');
    }
  }

  /** Unpublishes, disconnects, stops the capture. Answers whether a share that had its publisher stopped. */
  stop(): boolean {
    const published = !!this.#publisher;
    if (!this.#abort) return false;
    this.#abort.abort();
    closeConnection(this.#session!, this.#publisher, this.#media);
    this.#abort = this.#session = this.#publisher = this.#media = undefined;
    return published;
  }
}
