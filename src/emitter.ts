/** A tiny typed event emitter (no rxjs, no Node `events`: keeps the embed small). `on()` returns `off`. */
export class Emitter<Events extends object> {
  #listeners = new Map<keyof Events, Set<(e: never) => void>>();

  on<K extends keyof Events>(event: K, fn: (e: Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(fn as (e: never) => void);
    return () => this.off(event, fn);
  }

  once<K extends keyof Events>(event: K, fn: (e: Events[K]) => void): () => void {
    const off = this.on(event, (e) => {
      off();
      fn(e);
    });
    return off;
  }

  off<K extends keyof Events>(event: K, fn: (e: Events[K]) => void): void {
    this.#listeners.get(event)?.delete(fn as (e: never) => void);
  }

  /** Calls every listener; one that throws does not stop the others (its error is reported asynchronously). */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (e: Events[K]) => void)(payload);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  clear(): void {
    this.#listeners.clear();
  }
}
