export interface CandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/**
 * Browser candidates can arrive before the endpoint they belong to exists or has its remote description
 * (protocol §8.11): keep them until then.
 */
export class IceCandidateQueue {
  private pending: CandidateInit[] = [];

  async add(c: CandidateInit, apply?: (c: CandidateInit) => Promise<void>): Promise<void> {
    if (!c.candidate) return; // end-of-candidates
    if (!apply) {
      this.pending.push(c);
      return;
    }
    await apply(normalize(c)).catch(() => {});
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
