import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';

/**
 * Minimal ZIP (STORE only, no ZIP64: entries and archive below 4 GiB, < 65535 entries) for OpenVidu's INDIVIDUAL
 * recording archive. Media files are already compressed, so storing them is what OpenVidu does too.
 */
export type ZipEntryInput = { name: string; path: string } | { name: string; data: Buffer };

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Buffer, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function dosDateTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((Math.max(1980, d.getFullYear()) - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

const LIMIT = 0xffffffff;

/** Write `entries` into a new archive at `out`. Files are streamed twice (CRC, then copy), never held in memory. */
export async function writeZip(out: string, entries: ZipEntryInput[], mtime = new Date()): Promise<void> {
  if (entries.length >= 0xffff) throw new Error('too many zip entries');
  const { time, date } = dosDateTime(mtime);
  const fh = await open(out, 'w');
  const central: Buffer[] = [];
  let offset = 0;
  const write = async (b: Buffer) => {
    await fh.write(b);
    offset += b.length;
  };
  try {
    for (const e of entries) {
      const name = Buffer.from(e.name, 'utf8');
      let crc = 0;
      let size: number;
      if ('data' in e) {
        crc = crc32(e.data);
        size = e.data.length;
      } else {
        size = (await stat(e.path)).size;
        for await (const chunk of createReadStream(e.path)) crc = crc32(chunk as Buffer, crc);
      }
      if (size > LIMIT || offset + size > LIMIT) throw new Error('zip too large (no ZIP64 support)');
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(10, 4); // version needed: 1.0 (stored)
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt16LE(0, 8); // method: store
      local.writeUInt16LE(time, 10);
      local.writeUInt16LE(date, 12);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(size, 18);
      local.writeUInt32LE(size, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);
      const headerOffset = offset;
      await write(local);
      await write(name);
      if ('data' in e) await write(e.data);
      else for await (const chunk of createReadStream(e.path)) await write(chunk as Buffer);
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE(0x031e, 4); // made by: Unix, spec 3.0
      local.copy(cd, 6, 4, 30); // version needed .. name length: same as the local header
      cd.writeUInt16LE(0, 30); // extra
      cd.writeUInt16LE(0, 32); // comment
      cd.writeUInt16LE(0, 34); // disk
      cd.writeUInt16LE(0, 36); // internal attributes
      cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external: regular file, rw-r--r--
      cd.writeUInt32LE(headerOffset, 42);
      central.push(cd, name);
    }
    const cdStart = offset;
    for (const b of central) await write(b);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(entries.length, 8);
    eocd.writeUInt16LE(entries.length, 10);
    eocd.writeUInt32LE(offset - cdStart, 12);
    eocd.writeUInt32LE(cdStart, 16);
    await write(eocd);
  } finally {
    await fh.close();
  }
}

export interface ZipEntryInfo {
  name: string;
  size: number;
  crc32: number;
  /** Offset of the entry's data (stored entries only). */
  dataOffset: number;
}

/** List an archive's entries from its central directory (reads the whole file: meant for checks and tests). */
export async function listZip(file: string): Promise<ZipEntryInfo[]> {
  const buf = await readFile(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: ZipEntryInfo[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory');
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    out.push({
      name: buf.toString('utf8', p + 46, p + 46 + nameLen),
      size: buf.readUInt32LE(p + 24),
      crc32: buf.readUInt32LE(p + 16),
      dataOffset: local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
