// Waiting for a stopped buffer recording to be `ready`: OpenVidu CE (and the embedded server in CE-strict mode)
// answers a stop with `stopped` and finishes the file afterwards. Polled every 75 ms, bounded; the webhook's
// `recordingStatusChanged` ends a wait at once.
import type { RecordingFacts } from './recording-to-clip.js';

const POLL_MS = 75;

export class ReadyWaits {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly getRecording: (id: string) => Promise<RecordingFacts | undefined>,
    private readonly limitMs = 30_000,
  ) {}

  /** A recording's status changed (webhook). */
  changed(id: string, status: string): void {
    if (status === 'ready' || status === 'failed') for (const wake of this.waiters.get(id) ?? []) wake();
  }

  /** The recording once ready or failed; undefined when OpenVidu no longer has it; as it is when the wait runs out. */
  async ready(id: string): Promise<RecordingFacts | undefined> {
    const deadline = Date.now() + this.limitMs;
    for (;;) {
      const r = await this.getRecording(id).catch(() => null); // not answering: asked again
      if (r === undefined || r?.status === 'ready' || r?.status === 'failed') return r;
      if (Date.now() > deadline) return r ?? undefined;
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          set.delete(wake);
          if (!set.size && this.waiters.get(id) === set) this.waiters.delete(id);
          resolve();
        };
        const timer = setTimeout(wake, POLL_MS);
        set.add(wake);
      });
    }
  }
}
