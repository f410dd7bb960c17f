import type { OvError } from '../../src/errors.js';

/** The error `p` rejects with; fails the test when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<OvError> {
  try {
    await p;
  } catch (e) {
    return e as OvError;
  }
  throw new Error('expected a rejection');
}
