/**
 * werift never settles `setRemoteDescription` on a PeerConnection closed while it runs, so an answer whose
 * PeerConnection is replaced (a second `receiveVideoFrom` or `reconnectStream` for the same endpoint) or closed
 * (the participant left) would leave its JSON-RPC request unanswered forever. Each endpoint runs its negotiation
 * through one of these: a newer run, or `abort`, rejects the one in flight.
 */
export class Negotiation {
  private cancel?: (err: Error) => void;

  run<T>(work: () => Promise<T>): Promise<T> {
    this.abort(new Error('replaced by a newer negotiation'));
    let cancel!: (err: Error) => void;
    const cancelled = new Promise<never>((_, reject) => {
      cancel = reject;
    });
    this.cancel = cancel;
    return Promise.race([work(), cancelled]).finally(() => {
      if (this.cancel === cancel) this.cancel = undefined;
    });
  }

  abort(err: Error): void {
    const cancel = this.cancel;
    this.cancel = undefined;
    cancel?.(err);
  }
}
