export interface CandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** Remote candidates one PeerConnection takes: a browser sends 2-6, a few more with many interfaces. */
export const MAX_REMOTE_CANDIDATES = 64;

/**
 * Browser candidates can arrive before the endpoint they belong to exists or has its remote description
 * (protocol §8.11): keep them until then. Each PeerConnection takes at most `max` candidates, queued or applied:
 * every one makes werift pair it and send connectivity checks to its address.
 */
export class IceCandidateQueue {
  private pending: CandidateInit[] = [];
  private count = 0;

  constructor(private readonly max = MAX_REMOTE_CANDIDATES) {}

  /** A new PeerConnection (a renegotiation) starts a new allowance. */
  reset(): void {
    this.count = this.pending.length;
  }

  /** False when the allowance is used up (the candidate is dropped). */
  async add(c: CandidateInit, apply?: (c: CandidateInit) => Promise<void>): Promise<boolean> {
    if (!c.candidate) return true; // end-of-candidates
    if (this.count >= this.max) return false;
    this.count++;
    if (!apply) {
      this.pending.push(c);
      return true;
    }
    await apply(normalize(c)).catch(() => {});
    return true;
  }

  async flush(apply: (c: CandidateInit) => Promise<void>): Promise<void> {
    const list = this.pending;
    this.pending = [];
    for (const c of list) await apply(normalize(c)).catch(() => {});
  }
}

function normalize(c: CandidateInit): CandidateInit {
  return { candidate: c.candidate, sdpMid: c.sdpMid ?? undefined, sdpMLineIndex: c.sdpMLineIndex ?? undefined };
}
