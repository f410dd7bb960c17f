// Editor data made from the custom-elements manifest at build time and shipped in the package: VS Code custom HTML
// data and JetBrains web-types carry every attribute (with its description and, when enumerated, its values), the
// events, and links to the docs.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ensureBuild, root } from '../helpers/build.js';

interface ManifestAttribute {
  name: string;
  description?: string;
  deprecated?: string | boolean;
  type?: { text: string };
}
interface ManifestElement {
  tagName: string;
  attributes?: ManifestAttribute[];
  events?: { name?: string; description?: string }[];
}
interface VsAttribute {
  name: string;
  description: { kind: string; value: string };
  valueSet?: string;
  values?: { name: string }[];
}
interface VsTag {
  name: string;
  description: { kind: string; value: string };
  attributes: VsAttribute[];
  references: { name: string; url: string }[];
}
interface WtAttribute {
  name: string;
  description: string;
  value: { kind: string; type: string };
  values?: { name: string }[];
}
interface WtElement {
  name: string;
  description: string;
  'doc-url': string;
  source?: { module: string; symbol: string };
  attributes: WtAttribute[];
  js: { events: { name: string; description: string }[] };
}

const read = (f: string) => JSON.parse(readFileSync(path.join(root, f), 'utf8'));
const pkg = read('package.json');

/** Values both files must offer, whatever else the manifest grows. */
const KNOWN_ENUMS: Record<string, Record<string, string[]>> = {
  'ov-live-room': { 'screen-share': ['auto', 'on', 'off'], 'participant-role': ['publisher', 'subscriber'], role: ['publisher', 'subscriber'] },
  'ov-snapshot-button': { format: ['image/jpeg', 'image/png', 'image/webp'] },
};

describe('editor data (VS Code custom data, JetBrains web-types)', () => {
  let elements: ManifestElement[];
  let vscode: { version: number; tags: VsTag[] };
  let webTypes: { $schema: string; name: string; version: string; framework?: string; contributions: { html: { elements: WtElement[] } } };

  before(() => {
    ensureBuild();
    // the files as the current script writes them (the build's freshness check does not look at scripts/)
    const r = spawnSync(process.execPath, ['scripts/editor-data.mjs'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `scripts/editor-data.mjs:\n${r.stderr}`);
    const manifest = read('dist/custom-elements.json');
    elements = manifest.modules.flatMap((m: { declarations?: ManifestElement[] }) => m.declarations ?? []).filter((d: ManifestElement) => d.tagName);
    vscode = read('dist/vscode.html-custom-data.json');
    webTypes = read('dist/web-types.json');
  });

  it('the build writes them after the manifest', () => {
    assert.match(pkg.scripts.build, /cem analyze [^&]*&& node scripts\/editor-data\.mjs$/);
  });

  it('VS Code: every element and every attribute of the manifest, with its description; booleans take no value', () => {
    assert.deepEqual(vscode.tags.map((t) => t.name).sort(), elements.map((e) => e.tagName).sort());
    for (const el of elements) {
      const tag = vscode.tags.find((t) => t.name === el.tagName)!;
      assert.deepEqual(
        tag.attributes.map((a) => a.name),
        (el.attributes ?? []).map((a) => a.name),
        `${el.tagName}: attributes`,
      );
      for (const a of el.attributes ?? []) {
        const out = tag.attributes.find((x) => x.name === a.name)!;
        assert.equal(out.description.kind, 'markdown');
        assert.ok(out.description.value.trim(), `${el.tagName} ${a.name} has a description`);
        if (a.description) assert.ok(out.description.value.includes(a.description), `${el.tagName} ${a.name}: the manifest's description`);
        if (a.deprecated) assert.match(out.description.value, /Deprecated/);
        if (a.type?.text === 'boolean') assert.equal(out.valueSet, 'v', `${el.tagName} ${a.name} is a boolean attribute`);
        else assert.equal(out.valueSet, undefined);
      }
      for (const e of el.events ?? []) assert.ok(tag.description.value.includes(`\`${e.name}\``), `${el.tagName} hover names ${e.name}`);
    }
  });

  it('web-types: every element and every attribute of the manifest, with its description and value kind', () => {
    const els = webTypes.contributions.html.elements;
    assert.deepEqual(els.map((t) => t.name).sort(), elements.map((e) => e.tagName).sort());
    for (const el of elements) {
      const out = els.find((t) => t.name === el.tagName)!;
      assert.deepEqual(
        out.attributes.map((a) => a.name),
        (el.attributes ?? []).map((a) => a.name),
        `${el.tagName}: attributes`,
      );
      for (const a of el.attributes ?? []) {
        const attr = out.attributes.find((x) => x.name === a.name)!;
        assert.ok(attr.description.trim(), `${el.tagName} ${a.name} has a description`);
        if (a.description) assert.ok(attr.description.includes(a.description));
        const expected = a.type?.text === 'boolean' ? 'no-value' : 'plain';
        assert.equal(attr.value.kind, expected, `${el.tagName} ${a.name}: value kind`);
        assert.equal(attr.value.type === 'enum', Boolean(attr.values?.length), `${el.tagName} ${a.name}: enum iff values`);
      }
    }
  });

  it('enumerated attributes list their values in both files (screen-share auto|on|off, aliases such as Role resolved)', () => {
    for (const [tagName, attrs] of Object.entries(KNOWN_ENUMS)) {
      const vs = vscode.tags.find((t) => t.name === tagName)!;
      const wt = webTypes.contributions.html.elements.find((t) => t.name === tagName)!;
      for (const [name, values] of Object.entries(attrs)) {
        assert.deepEqual(
          vs.attributes.find((a) => a.name === name)?.values?.map((v) => v.name),
          values,
          `VS Code ${tagName} ${name}`,
        );
        const attr = wt.attributes.find((a) => a.name === name)!;
        assert.equal(attr.value.type, 'enum');
        assert.deepEqual(
          attr.values?.map((v) => v.name),
          values,
          `web-types ${tagName} ${name}`,
        );
      }
    }
    // every literal union in the manifest is an enum in both files
    for (const el of elements) {
      for (const a of el.attributes ?? []) {
        const literals = a.type?.text.match(/'([^']+)'/g)?.map((s) => s.slice(1, -1));
        if (!literals || !/^('[^']*'|\s|\|)+$/.test(a.type!.text)) continue;
        const vs = vscode.tags.find((t) => t.name === el.tagName)!.attributes.find((x) => x.name === a.name)!;
        assert.deepEqual(
          vs.values?.map((v) => v.name),
          literals,
          `${el.tagName} ${a.name}`,
        );
      }
    }
  });

  it('web-types: every event of the manifest with its description', () => {
    for (const el of elements) {
      const out = webTypes.contributions.html.elements.find((t) => t.name === el.tagName)!;
      assert.deepEqual(
        out.js.events.map((e) => e.name),
        (el.events ?? []).map((e) => e.name),
      );
      for (const e of el.events ?? []) assert.equal(out.js.events.find((x) => x.name === e.name)!.description, e.description ?? '');
    }
  });

  it('the shapes their schemas ask for, and links to the docs that exist', () => {
    assert.equal(vscode.version, 1.1);
    const docs = readFileSync(path.join(root, 'docs/elements.md'), 'utf8');
    for (const tag of vscode.tags) {
      assert.equal(tag.description.kind, 'markdown');
      assert.ok(tag.description.value.trim());
      assert.ok(tag.references.length > 0);
      for (const ref of tag.references) {
        assert.ok(ref.name);
        assert.match(ref.url, new RegExp(`^https://[^ ]+/docs/elements\\.md#${tag.name}$`));
      }
      for (const a of tag.attributes) for (const v of a.values ?? []) assert.equal(typeof v.name, 'string');
      assert.ok(docs.includes(`### \`<${tag.name}>\``), `docs/elements.md has a ${tag.name} heading`);
    }
    assert.equal(webTypes.$schema, 'https://json.schemastore.org/web-types');
    assert.equal(webTypes.name, pkg.name);
    assert.equal(webTypes.version, pkg.version);
    assert.equal(webTypes.framework, undefined, 'framework-agnostic');
    for (const el of webTypes.contributions.html.elements) {
      assert.ok(el.description.trim());
      assert.match(el['doc-url'], new RegExp(`^https://[^ ]+/docs/elements\\.md#${el.name}$`));
      assert.ok(el.source && el.source.symbol && pkg.exports['./components/*'], `${el.name}: source`);
      assert.match(el.source.module, /^ov-live-elements\/components\/[a-z-]+$/);
      for (const a of el.attributes) {
        assert.ok(['no-value', 'plain'].includes(a.value.kind));
        assert.ok(['boolean', 'number', 'string', 'enum'].includes(a.value.type));
      }
    }
  });

  it('ships in the package: package.json "web-types", the exports, and `npm pack`', () => {
    assert.equal(pkg['web-types'], './dist/web-types.json');
    assert.equal(pkg.exports['./web-types.json'], './dist/web-types.json');
    assert.equal(pkg.exports['./vscode.html-custom-data.json'], './dist/vscode.html-custom-data.json');
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `npm pack failed:\n${r.stderr}`);
    const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path));
    for (const f of ['dist/web-types.json', 'dist/vscode.html-custom-data.json']) assert.ok(files.has(f), `${f} is in the package`);
  });
});
