// `npm run wordpress:zip`: the WordPress plugin as an installable zip. Its central directory is read back here and
// every entry checked against the plugin's files (names, sizes, CRCs, contents), and an independent reader (Python's
// zipfile) must accept it. The plugin's PHP files are syntax-checked and guarded against direct access.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, inflateRawSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const plugin = path.join(root, 'integrations', 'wordpress', 'ov-live-elements');
const script = path.join(root, 'scripts', 'wordpress-zip.mjs');

type Entry = { name: string; method: number; flags: number; crc: number; compressed: number; size: number; offset: number };

/** The central directory's entries (no ZIP64, no archive comment: what the script writes). */
function centralDirectory(zip: Buffer): Entry[] {
  const end = zip.length - 22;
  assert.equal(zip.readUInt32LE(end), 0x06054b50, 'end of central directory record at the end');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  assert.equal(at + zip.readUInt32LE(end + 12), end, 'the central directory ends where the end record starts');
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, `central header ${i}`);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    entries.push({
      flags: zip.readUInt16LE(at + 8),
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressed: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      offset: zip.readUInt32LE(at + 42),
      name: zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'),
    });
    at += 46 + nameLength + skip;
  }
  return entries;
}

/** An entry's data, through its local header (which must agree with the central one). */
function entryData(zip: Buffer, e: Entry): Buffer {
  assert.equal(zip.readUInt32LE(e.offset), 0x04034b50, `local header of ${e.name}`);
  const nameLength = zip.readUInt16LE(e.offset + 26);
  assert.equal(zip.subarray(e.offset + 30, e.offset + 30 + nameLength).toString('utf8'), e.name);
  assert.equal(zip.readUInt32LE(e.offset + 14), e.crc, `local CRC of ${e.name}`);
  const start = e.offset + 30 + nameLength + zip.readUInt16LE(e.offset + 28);
  const raw = zip.subarray(start, start + e.compressed);
  return e.method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
}

/** The plugin's files, relative to its folder. */
const pluginFiles = () =>
  readdirSync(plugin, { recursive: true })
    .map(String)
    .filter((f) => statSync(path.join(plugin, f)).isFile())
    .sort();

function buildZip(out?: string): Buffer {
  const r = spawnSync(process.execPath, [script, ...(out ? [out] : [])], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `wordpress-zip exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return readFileSync(out ?? path.join(root, 'dist', 'wordpress', 'ov-live-elements.zip'));
}

describe('WordPress plugin zip', () => {
  let zip: Buffer;
  let entries: Entry[];
  let out: string;
  before(() => {
    out = path.join(mkdtempSync(path.join(os.tmpdir(), 'ov-wp-zip-')), 'plugin.zip');
    zip = buildZip(out);
    entries = centralDirectory(zip);
  });

  it('holds every file of the plugin, under ov-live-elements/, with matching sizes, CRCs and contents', () => {
    const files = entries.filter((e) => !e.name.endsWith('/'));
    assert.deepEqual(
      files.map((e) => e.name),
      pluginFiles().map((f) => `ov-live-elements/${f.split(path.sep).join('/')}`),
    );
    for (const e of entries) assert.ok(e.name.startsWith('ov-live-elements/') && !e.name.includes('..'), e.name);
    for (const e of files) {
      const disk = readFileSync(path.join(plugin, e.name.slice('ov-live-elements/'.length)));
      assert.ok(e.method === 0 || e.method === 8, `${e.name}: stored or deflated`);
      assert.equal(e.flags & 0x0808, 0x0800, `${e.name}: UTF-8 name, sizes in the header`);
      assert.equal(e.size, disk.length, `${e.name}: size`);
      assert.equal(e.crc, crc32(disk), `${e.name}: CRC-32`);
      assert.deepEqual(entryData(zip, e), disk, `${e.name}: contents`);
    }
    assert.ok(
      files.some((e) => e.method === 8),
      'text files are deflated',
    );
  });

  it('is read by an independent unzipper', (t) => {
    const code = 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(len(z.namelist()))';
    const r = spawnSync('python3', ['-c', code, out], { encoding: 'utf8', timeout: 30_000 });
    if (r.error) return t.skip('python3 is not installed');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(Number(r.stdout.trim()), entries.length);
  });

  it('is the same bytes on every build, at dist/wordpress/ov-live-elements.zip by default', () => {
    assert.deepEqual(buildZip(), zip);
  });

  it('has PHP files without syntax errors, each refusing to run outside WordPress', (t) => {
    const php = pluginFiles().filter((f) => f.endsWith('.php'));
    assert.ok(php.length >= 6, php.join(', '));
    for (const f of php) {
      const text = readFileSync(path.join(plugin, f), 'utf8');
      const guard = f === 'uninstall.php' ? "defined( 'WP_UNINSTALL_PLUGIN' ) || exit;" : "defined( 'ABSPATH' ) || exit;";
      assert.ok(text.includes(guard), `${f} starts with ${guard}`);
    }
    const probe = spawnSync('php', ['-v'], { encoding: 'utf8' });
    if (probe.error) return t.skip('php is not installed (the WordPress tests install it)');
    for (const f of php) {
      const r = spawnSync('php', ['-l', path.join(plugin, f)], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
    }
  });
});
