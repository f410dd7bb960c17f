/** Wall-clock milliseconds with sub-millisecond resolution (the recorder's timeline unit). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));
