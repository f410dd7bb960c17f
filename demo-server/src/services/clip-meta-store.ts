// Skeleton: the interface the routes are written against; the implementation follows.
import type { Clip } from '../schemas/clips.js';

/** What the reference server keeps about a clip beside OpenVidu's recording. */
export interface ClipMeta {
  id: string;
  sessionId: string;
  /** The recording's start time: metadata of a deleted clip never applies to a later one given the same id. */
  createdAt: number;
  name?: string;
  trim?: { start: number; end: number; originalDuration: number };
  /** Part of every share link's signature: a new salt revokes the clip's links. */
  shareSalt?: string;
  updatedAt: number;
}

export interface ClipMetaStoreOptions {
  /** Root folder (`<dataDir>/clips`); created when missing. */
  dir: string;
}

export class ClipMetaStore {
  readonly dir: string;
  constructor(opts: ClipMetaStoreOptions) {
    this.dir = opts.dir;
  }
  async load(): Promise<void> {}
  get(_clipId: string): ClipMeta | undefined {
    return undefined;
  }
  /** The clip with its metadata applied (name, trim, durations, updatedAt), when the metadata is about this clip. */
  apply(clip: Clip): Clip {
    return clip;
  }
  /** The clip's share salt; made (and stored) when `create` and there is none. */
  async shareSalt(_clip: Clip, _create: boolean): Promise<string | undefined> {
    throw new Error('not implemented');
  }
  /** A new salt: every link made so far stops working. */
  async revokeShares(_clip: Clip): Promise<void> {
    throw new Error('not implemented');
  }
}
