// The npm package: what `npm pack` puts in it, that every entry of package.json resolves inside it (JS and types),
// and that the Node entries run in plain Node, without tsx.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureBuild, root } from '../helpers/build.js';

type PackFile = { path: string; size: number };
type Pack = { name: string; size: number; unpackedSize: number; entryCount: number; files: PackFile[] };

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const ELEMENTS = ['live-room', 'clip-list', 'snapshot-button'];

/** Every file an `exports` value points at (wildcards expanded with the element names), by condition. */
function exportTargets(): { subpath: string; condition: string; file: string }[] {
  const out: { subpath: string; condition: string; file: string }[] = [];
  for (const [subpath, value] of Object.entries<string | Record<string, string>>(pkg.exports)) {
    const conditions = typeof value === 'string' ? { default: value } : value;
    for (const [condition, target] of Object.entries(conditions)) {
      const names = subpath.includes('*') ? ELEMENTS : [''];
      for (const name of names) out.push({ subpath: subpath.replace('*', name), condition, file: target.replace('*', name).replace(/^\.\//, '') });
    }
  }
  return out;
}

/** Runs an ES module script in plain Node (no tsx, no loader) from the package root; returns its JSON output. */
function runInNode(script: string): unknown {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `node exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('npm package', () => {
  let pack: Pack;
  let files: Set<string>;

  before(() => {
    ensureBuild();
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `npm pack failed:\n${r.stderr}`);
    [pack] = JSON.parse(r.stdout) as Pack[];
    files = new Set(pack.files.map((f) => f.path));
    console.log(`    ${pack.entryCount} files, ${(pack.size / 1024).toFixed(0)} KB packed, ${(pack.unpackedSize / 1024).toFixed(0)} KB unpacked`);
  });

  it('holds every file package.json points at: main, module, types, customElements and each exports target', () => {
    const referenced = [pkg.main, pkg.module, pkg.types, pkg.customElements].map((f: string) => f.replace(/^\.\//, ''));
    for (const f of referenced) assert.ok(files.has(f), `${f} is not in the package`);
    for (const { subpath, condition, file } of exportTargets())
      assert.ok(files.has(file), `exports["${subpath}"].${condition} → ${file} is not in the package`);
    for (const subpath of ['.', './core', './components/*', './react', './server', './ov-live-elements.js', './custom-elements.json', './package.json']) {
      assert.ok(subpath in pkg.exports, `exports has ${subpath}`);
    }
    for (const [subpath, value] of Object.entries(pkg.exports)) {
      if (subpath.endsWith('.json')) continue;
      assert.deepEqual(Object.keys(value as object), ['types', 'import'], `exports["${subpath}"] has types then import`);
    }
  });

  it('every sideEffects pattern matches packaged files, and the code that defines tags is among them', () => {
    const toRegExp = (glob: string) => new RegExp(`^${glob.replace(/^\.\//, '').replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
    const patterns = (pkg.sideEffects as string[]).map(toRegExp);
    for (const [i, re] of patterns.entries())
      assert.ok(
        [...files].some((f) => re.test(f)),
        `sideEffects ${pkg.sideEffects[i]} matches nothing`,
      );
    const js = [...files].filter((f) => /^dist\/(?!server\/|types\/)[^]*\.js$/.test(f));
    const defining = js.filter((f) => /\.define\(['"]ov-/.test(readFileSync(path.join(root, f), 'utf8')));
    assert.ok(defining.length >= 3, `tag definitions found in ${defining.join(', ')}`);
    for (const f of defining)
      assert.ok(
        patterns.some((re) => re.test(f)),
        `${f} defines a tag but is not listed in sideEffects`,
      );
  });

  it('ships the declarations, the manifest, the server and the README; no tests, sources or local data', () => {
    for (const f of [
      'dist/types/components/index.d.ts',
      'dist/types/src/index.d.ts',
      'dist/types/react/index.d.ts',
      'dist/server/server/index.d.ts',
      'dist/custom-elements.json',
      'README.md',
      'package.json',
    ]) {
      assert.ok(files.has(f), `${f} is in the package`);
    }
    for (const name of ELEMENTS) assert.ok(files.has(`dist/types/components/${name}/index.d.ts`), `declarations of components/${name}`);
    const unwanted = [...files].filter(
      (f) =>
        /^(test|test-output|bench|scratch|\.data|\.ci|node_modules|src|components|react|server|demo-server|scripts)\//.test(f) ||
        (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)),
    );
    assert.deepEqual(unwanted, []);
    const manifest = JSON.parse(readFileSync(path.join(root, 'dist/custom-elements.json'), 'utf8'));
    const tags = manifest.modules
      .flatMap((m: { declarations?: { tagName?: string }[] }) => m.declarations ?? [])
      .map((d: { tagName?: string }) => d.tagName)
      .filter(Boolean)
      .sort();
    assert.deepEqual(tags, ['ov-clip-list', 'ov-live-room', 'ov-snapshot-button']);
    for (const m of manifest.modules) assert.ok(files.has(m.path), `manifest module ${m.path} is in the package`);
  });

  it('ov-live-elements/server runs in plain Node: the embedded OpenVidu and the reference server start, answer and close', () => {
    const result = runInNode(`
      import http from 'node:http';
      import os from 'node:os';
      import path from 'node:path';
      import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
      const server = await import('ov-live-elements/server');
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ov-pack-'));
      const quiet = { debug() {}, info() {}, warn() {}, error() {} };
      try {
        const ov = await server.startEmbeddedOpenVidu({ port: 0, recordingPath: path.join(dir, 'recordings'), logger: quiet });
        const auth = 'Basic ' + Buffer.from('OPENVIDUAPP:' + ov.secret).toString('base64');
        // one connection per request (no keep-alive), read to the end: nothing is left open when the servers close
        const status = (url, headers = {}) =>
          new Promise((resolve, reject) => http.get(url, { agent: false, headers }, (res) => res.resume().on('end', () => resolve(res.statusCode))).on('error', reject));
        const openvidu = await status(ov.url + '/openvidu/api/config', { authorization: auth });
        await ov.close();
        const running = await server.startServer(server.loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'silent' }));
        const health = await status(running.url + '/api/health');
        const page = await status(running.url + '/');
        const bundle = await status(running.url + '/ov-live-elements.js'); // found from dist/server/ too
        // and the parts it imports from beside itself
        const part = readFileSync('dist/ov-live-elements.js', 'utf8').match(/from"\\.\\/(ov-live-elements\\/[\\w-]+\\.js)"/)?.[1];
        const parts = part ? await status(running.url + '/' + part) : 'no part imported';
        await running.close();
        console.log(JSON.stringify({ exports: Object.keys(server).sort(), openvidu, health, page, bundle, parts }));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    `);
    assert.deepEqual(result, {
      exports: ['ConfigError', 'buildApp', 'loadConfig', 'startEmbeddedOpenVidu', 'startServer'],
      openvidu: 200,
      health: 200,
      page: 200,
      bundle: 200,
      parts: 200,
    });
  });

  it('ov-live-elements/react exports the three components; ov-live-elements/components/<name> defines that tag alone', () => {
    const result = runInNode(`
      const one = await import('ov-live-elements/components/live-room');
      const alone = ['ov-live-room', 'ov-clip-list', 'ov-snapshot-button'].filter((t) => customElements.get(t));
      const react = await import('ov-live-elements/react');
      const components = Object.entries(react).map(([name, c]) => [name, c.$$typeof === Symbol.for('react.forward_ref'), c.displayName]);
      console.log(JSON.stringify({ one: Object.keys(one), alone, components }));
    `);
    assert.deepEqual(result, {
      one: ['OvLiveRoom'],
      alone: ['ov-live-room'],
      components: [
        ['OvClipList', true, 'OvClipList'],
        ['OvLiveRoom', true, 'OvLiveRoom'],
        ['OvSnapshotButton', true, 'OvSnapshotButton'],
      ],
    });
  });

  describe('types of every entry, as a TypeScript user resolves them (NodeNext)', () => {
    let dir: string;
    before(() => {
      // inside the package folder, so `ov-live-elements/...` resolves to this package by its own name
      mkdirSync(path.join(root, 'test-output'), { recursive: true });
      dir = mkdtempSync(path.join(root, 'test-output', 'pack-types-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('compile a consumer that imports each entry', () => {
      writeFileSync(
        path.join(dir, 'consumer.ts'),
        `import { OvLiveRoom, OvClipList, OvSnapshotButton, type OvJoinedEvent } from 'ov-live-elements';
import { LiveRoom, endpointTokenProvider } from 'ov-live-elements/core';
import { OvLiveRoom as OneRoom } from 'ov-live-elements/components/live-room';
import { OvClipList as OneList } from 'ov-live-elements/components/clip-list';
import { OvSnapshotButton as OneButton } from 'ov-live-elements/components/snapshot-button';
import * as Bundle from 'ov-live-elements/ov-live-elements.js';
import { OvLiveRoom as RoomComponent, OvClipList as ListComponent, OvSnapshotButton as ButtonComponent, type OvLiveRoomProps } from 'ov-live-elements/react';
import { buildApp, startServer, loadConfig, startEmbeddedOpenVidu, type Config, type EmbeddedOpenVidu, type RunningServer } from 'ov-live-elements/server';

const joined = (e: OvJoinedEvent): string => e.detail.connectionId;
const props: OvLiveRoomProps = { session: 'demo', autojoin: true, onOvJoined: (e) => joined(e), onOvError: (e) => e.detail.code };
const room: HTMLElementTagNameMap['ov-live-room'] = document.createElement('ov-live-room');
room.addEventListener('ov-clip-ready', (e) => e.detail.clip.id);
const config: Config = loadConfig({});
const started: Promise<RunningServer> = startServer(config);
const embedded: Promise<EmbeddedOpenVidu> = startEmbeddedOpenVidu({ port: 0 });
export const all = [OvLiveRoom, OvClipList, OvSnapshotButton, LiveRoom, endpointTokenProvider, OneRoom, OneList, OneButton, Bundle.OvLiveRoom, RoomComponent, ListComponent, ButtonComponent, buildApp, props, room, started, embedded];
`,
      );
      writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            lib: ['ES2022', 'DOM', 'DOM.Iterable'],
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
          },
          files: ['consumer.ts'],
        }),
      );
      const r = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, `tsc:\n${r.stdout}\n${r.stderr}`);
    });

    it('compile a consumer of one element entry alone: its events are typed too', () => {
      const one = path.join(dir, 'one');
      mkdirSync(one, { recursive: true });
      writeFileSync(
        path.join(one, 'single.ts'),
        `import { OvClipList, type OvClipSelectEvent } from 'ov-live-elements/components/clip-list';
const list: OvClipList = document.createElement('ov-clip-list');
list.addEventListener('ov-clip-select', (e) => e.detail.clip.mediaUrl);
export const pick = (e: OvClipSelectEvent): string => e.detail.clip.id;
`,
      );
      writeFileSync(
        path.join(one, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            lib: ['ES2022', 'DOM', 'DOM.Iterable'],
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          files: ['single.ts'],
        }),
      );
      const r = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', one], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, `tsc:\n${r.stdout}\n${r.stderr}`);
    });
  });
});
