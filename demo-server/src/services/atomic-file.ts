import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Remove a file, ignoring any failure (already gone, or left for the owner's next clean-up). */
export const removeFile = (file: string): Promise<void> => unlink(file).catch(() => {});

/** Flush a file or folder to disk. */
export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Make a rename durable before the next step depends on it (best effort: not every platform can sync a folder). */
export async function syncDir(dir: string): Promise<void> {
  // e.g. Windows (EPERM/EISDIR): the rename order is still what the OS gives us
  await fsyncPath(dir).catch(() => {});
}

/**
 * Write to a temporary file in the same folder, `.<name>.<16 hex>.tmp`, flush it, then rename: readers see the whole
 * file or nothing. Stores that write this way remove such names when they load.
 */
export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await removeFile(tmp);
    throw err;
  }
}
