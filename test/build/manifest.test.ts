// The custom-elements manifest (what editors, Storybook and docs/elements.md read) says what the elements' code does:
// every attribute declared, every event dispatched; and the generated reference in docs/elements.md is current.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ensureBuild, root } from '../helpers/build.js';

interface Declaration {
  tagName?: string;
  attributes?: { name: string }[];
  events?: { name?: string }[];
  members?: { kind: string; name: string; privacy?: string; static?: boolean }[];
}

const ELEMENT_FOLDERS: Record<string, string> = {
  'ov-live-room': 'components/live-room',
  'ov-clip-list': 'components/clip-list',
  'ov-snapshot-button': 'components/snapshot-button',
};

const sources = (dir: string) =>
  readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(path.join(root, dir, f), 'utf8'))
    .join('\n');

/** Event class name → its `ov-*` type, from components/events/. */
function eventTypes(): Map<string, string> {
  const map = new Map<string, string>();
  for (const f of readdirSync(path.join(root, 'components/events'))) {
    const text = readFileSync(path.join(root, 'components/events', f), 'utf8');
    const cls = /export class (Ov\w+Event)\b/.exec(text)?.[1];
    const type = /super\('(ov-[a-z-]+)'/.exec(text)?.[1];
    if (cls && type) map.set(cls, type);
  }
  return map;
}

describe('custom-elements manifest', () => {
  let decls: Map<string, Declaration>;
  before(() => {
    ensureBuild();
    const manifest = JSON.parse(readFileSync(path.join(root, 'dist/custom-elements.json'), 'utf8')) as { modules: { declarations?: Declaration[] }[] };
    decls = new Map(manifest.modules.flatMap((m) => m.declarations ?? []).flatMap((d) => (d.tagName ? [[d.tagName, d] as const] : [])));
  });

  it('lists every attribute each element declares and every event it dispatches', () => {
    const types = eventTypes();
    assert.ok(types.size >= 20, `event classes found: ${types.size}`);
    for (const [tag, dir] of Object.entries(ELEMENT_FOLDERS)) {
      const d = decls.get(tag);
      assert.ok(d, `${tag} is in the manifest`);
      const code = sources(dir);
      const attributes = [...code.matchAll(/attribute: '([a-z-]+)'/g)].map((m) => m[1]);
      assert.ok(attributes.length > 0, `${tag}: attributes found in ${dir}`);
      const listed = new Set((d.attributes ?? []).map((a) => a.name));
      for (const a of attributes) assert.ok(listed.has(a), `${tag}: attribute ${a} is in the manifest`);
      const dispatched = [...code.matchAll(/new (Ov\w+Event)\(/g)].map((m) => types.get(m[1]) ?? `unknown class ${m[1]}`);
      assert.ok(dispatched.length > 0, `${tag}: events found in ${dir}`);
      const events = new Set((d.events ?? []).map((e) => e.name));
      for (const e of dispatched) assert.ok(events.has(e), `${tag}: event ${e} is in the manifest`);
    }
    // Every event the package defines is documented on some element (none is dispatched from elsewhere unlisted).
    const documented = new Set([...decls.values()].flatMap((d) => (d.events ?? []).map((e) => e.name)));
    for (const type of types.values()) assert.ok(documented.has(type), `${type} is documented on an element`);
  });

  it('lists the clip list’s edit API (rename, trim, restore, share) as public methods', () => {
    const methods = (decls.get('ov-clip-list')?.members ?? []).filter((m) => m.kind === 'method' && (m.privacy ?? 'public') === 'public').map((m) => m.name);
    for (const name of ['renameClip', 'trimClip', 'restoreClip', 'shareClip', 'refresh']) assert.ok(methods.includes(name), `ov-clip-list.${name}()`);
    const room = (decls.get('ov-live-room')?.members ?? []).filter((m) => m.kind === 'method' && (m.privacy ?? 'public') === 'public').map((m) => m.name);
    for (const name of ['join', 'leave', 'startClip', 'stopClip', 'clipReplay', 'captureSnapshot']) assert.ok(room.includes(name), `ov-live-room.${name}()`);
  });

  it('docs/elements.md’s generated reference is the manifest’s', () => {
    // Exits 1 with a message when the page differs from what the manifest and the string tables give.
    execFileSync(process.execPath, [path.join(root, 'docs/tools/elements-reference.mjs'), '--check'], { cwd: root, stdio: 'pipe' });
  });
});
