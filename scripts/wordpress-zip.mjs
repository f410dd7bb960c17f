#!/usr/bin/env node
// `npm run wordpress:zip`: the WordPress plugin as an installable zip, dist/wordpress/ov-live-elements.zip (or the
// path given), with its files under `ov-live-elements/`. A minimal ZIP writer (deflate from node:zlib, CRC-32 here)
// so no dependency is needed; fixed timestamps and a sorted file order make the same tree give the same bytes.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PLUGIN = 'ov-live-elements';
const source = path.join(root, 'integrations', 'wordpress', PLUGIN);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE 802.3), as ZIP stores it. */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// 2000-01-01 00:00 in MS-DOS form: any fixed time keeps the zip reproducible.
const DOS_TIME = 0;
const DOS_DATE = ((2000 - 1980) << 9) | (1 << 5) | 1;

/** Every file and folder under `dir`, as zip names (`ov-live-elements/…`, folders ending in `/`), sorted. */
function entries(dir) {
  const out = [];
  const walk = (rel) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const relative = rel ? `${rel}/${name}` : name;
      if (statSync(path.join(dir, relative)).isDirectory()) {
        out.push({ name: `${PLUGIN}/${relative}/` });
        walk(relative);
      } else out.push({ name: `${PLUGIN}/${relative}`, data: readFileSync(path.join(dir, relative)) });
    }
  };
  out.push({ name: `${PLUGIN}/` });
  walk('');
  return out;
}

/** The ZIP bytes for the given entries: deflated where that is smaller, else stored. */
export function zip(items) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const item of items) {
    const name = Buffer.from(item.name, 'utf8');
    const data = item.data ?? Buffer.alloc(0);
    const deflated = data.length ? deflateRawSync(data, { level: 9 }) : data;
    const method = deflated.length < data.length ? 8 : 0;
    const body = method === 8 ? deflated : data;
    const crc = crc32(data);
    const folder = item.name.endsWith('/');

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, 2.0: the external attributes carry the mode
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    // extra length, comment length, disk, internal attributes: 0
    central.writeUInt32LE((((folder ? 0o40755 : 0o100644) << 16) | (folder ? 0x10 : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(items.length, 8);
  end.writeUInt16LE(items.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The version the plugin states in each place WordPress reads one, against package.json's. */
function checkVersions() {
  const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  const read = (file) => readFileSync(path.join(source, file), 'utf8');
  const found = {
    'ov-live-elements.php (Version)': read('ov-live-elements.php').match(/^ \* Version:\s*(\S+)/m)?.[1],
    'ov-live-elements.php (OV_LIVE_ELEMENTS_VERSION)': read('ov-live-elements.php').match(/'OV_LIVE_ELEMENTS_VERSION', '([^']+)'/)?.[1],
    'readme.txt (Stable tag)': read('readme.txt').match(/^Stable tag:\s*(\S+)/m)?.[1],
    'block/block.json (version)': JSON.parse(read('block/block.json')).version,
  };
  const wrong = Object.entries(found).filter(([, v]) => v !== version);
  if (wrong.length) throw new Error(`The plugin's version must be package.json's (${version}): ${wrong.map(([w, v]) => `${w} says ${v}`).join('; ')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  checkVersions();
  const out = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'wordpress', `${PLUGIN}.zip`));
  const items = entries(source);
  const bytes = zip(items);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, bytes);
  console.log(`${path.relative(root, out)}: ${items.filter((i) => i.data).length} files, ${bytes.length} bytes`);
}
