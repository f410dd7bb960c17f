#!/usr/bin/env node
// Editor data for the elements, from dist/custom-elements.json (run by `npm run build`, after `cem analyze`):
//   dist/vscode.html-custom-data.json: VS Code's custom HTML data (`html.customData` in .vscode/settings.json);
//   dist/web-types.json: JetBrains web-types (package.json "web-types": the IDE finds it by itself).
// Both carry every attribute with its description, the values of enumerated attributes (string-literal unions, named
// type aliases resolved from the shipped declarations in dist/types), booleans as attributes without a value, the
// events, and a link to docs/elements.md.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));

const LITERAL = /^(['"])(.*)\1$/;

/** `type Name = 'a' | 'b';` declarations of the shipped .d.ts files: name → union text (names defined twice dropped). */
export function typeAliases(dir) {
  const found = new Map();
  const dropped = new Set();
  if (!existsSync(dir)) return found;
  for (const f of readdirSync(dir, { recursive: true })) {
    if (!String(f).endsWith('.d.ts')) continue;
    const text = readFileSync(path.join(dir, String(f)), 'utf8');
    for (const [, name, union] of text.matchAll(/^(?:export )?(?:declare )?type (\w+) = ([^;{}<>()]+);$/gm)) {
      if (found.has(name) && found.get(name) !== union.trim()) dropped.add(name);
      found.set(name, union.trim());
    }
  }
  for (const name of dropped) found.delete(name);
  return found;
}

/**
 * The values an attribute of this type takes when the type is a union of string literals (aliases resolved,
 * `undefined`, `null` and `''`, which mean "not set", left out); otherwise undefined.
 */
export function enumValues(typeText, aliases, seen = new Set()) {
  if (!typeText || /[<>(){}[\]]/.test(typeText)) return undefined;
  const values = [];
  for (const part of typeText.split('|').map((p) => p.trim())) {
    if (part === 'undefined' || part === 'null') continue;
    const literal = LITERAL.exec(part);
    if (literal) {
      if (literal[2]) values.push(literal[2]);
      continue;
    }
    if (!aliases.has(part) || seen.has(part)) return undefined;
    const inner = enumValues(aliases.get(part), aliases, new Set([...seen, part]));
    if (!inner) return undefined;
    values.push(...inner);
  }
  return values.length ? [...new Set(values)] : undefined;
}

const isBoolean = (typeText) => typeText?.split('|').every((p) => ['boolean', 'undefined', 'null'].includes(p.trim())) ?? false;
const isNumber = (typeText) => typeText?.split('|').every((p) => ['number', 'undefined', 'null'].includes(p.trim())) ?? false;

/** The description shown on hover; a deprecated attribute says so (and what to use instead). */
function describe(item) {
  const deprecated = item.deprecated === undefined ? '' : `**Deprecated.** ${item.deprecated === true ? '' : item.deprecated}`.trim();
  return [deprecated, item.description ?? ''].filter(Boolean).join('\n\n');
}

/** The elements of the manifest, with what both formats need. */
export function elements(manifest, aliases) {
  const out = [];
  for (const mod of manifest.modules ?? []) {
    for (const decl of mod.declarations ?? []) {
      if (!decl.customElement || !decl.tagName) continue;
      out.push({
        tag: decl.tagName,
        className: decl.name,
        entry: /^dist\/components\/([a-z-]+)\.js$/.exec(mod.path)?.[1],
        description: [decl.summary, decl.description].filter(Boolean).join('\n\n'),
        attributes: (decl.attributes ?? []).map((a) => ({
          name: a.name,
          description: describe(a),
          type: a.type?.text,
          default: a.default,
          deprecated: a.deprecated !== undefined,
          boolean: isBoolean(a.type?.text),
          number: isNumber(a.type?.text),
          values: enumValues(a.type?.text, aliases),
        })),
        events: (decl.events ?? []).filter((e) => e.name).map((e) => ({ name: e.name, description: describe(e) })),
        cssParts: decl.cssParts ?? [],
        cssProperties: decl.cssProperties ?? [],
        slots: decl.slots ?? [],
      });
    }
  }
  return out.sort((a, b) => a.tag.localeCompare(b.tag));
}

/** Where the reference of an element lives: the repository's docs when package.json names one, else the package's. */
export function docUrl(pkg, tag) {
  const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const github = repo && /github\.com[/:]([\w.-]+\/[\w.-]+?)(?:\.git)?$/.exec(repo)?.[1];
  const base = github ? `https://github.com/${github}/blob/HEAD/docs/elements.md` : `https://unpkg.com/${pkg.name}@${pkg.version}/docs/elements.md`;
  return `${base}#${tag}`;
}

const markdown = (value) => ({ kind: 'markdown', value });
const defaultNote = (a) => (a.boolean || a.default === undefined || a.default === "''" ? '' : `\n\nDefault: \`${a.default}\``);

/** VS Code custom HTML data, version 1.1. */
export function vscodeData(els, pkg) {
  return {
    $schema: 'https://raw.githubusercontent.com/microsoft/vscode-html-languageservice/main/docs/customData.schema.json',
    version: 1.1,
    tags: els.map((el) => ({
      name: el.tag,
      // VS Code has no events for tags: the hover lists them
      description: markdown(el.description + (el.events.length ? `\n\nEvents: ${el.events.map((e) => `\`${e.name}\``).join(', ')}` : '')),
      attributes: el.attributes.map((a) => ({
        name: a.name,
        description: markdown(a.description + defaultNote(a)),
        ...(a.boolean ? { valueSet: 'v' } : {}),
        ...(a.values ? { values: a.values.map((name) => ({ name })) } : {}),
      })),
      references: [{ name: `${pkg.name}: <${el.tag}>`, url: docUrl(pkg, el.tag) }],
    })),
  };
}

/** The value an attribute takes, in web-types' terms. */
function webTypesValue(a) {
  if (a.boolean) return { kind: 'no-value', type: 'boolean' };
  if (a.values) return { kind: 'plain', type: 'enum' };
  return { kind: 'plain', type: a.number ? 'number' : 'string' };
}

/** JetBrains web-types (schema 2), framework-agnostic HTML elements. */
export function webTypes(els, pkg) {
  return {
    $schema: 'https://json.schemastore.org/web-types',
    name: pkg.name,
    version: pkg.version,
    'js-types-syntax': 'typescript',
    'description-markup': 'markdown',
    contributions: {
      html: {
        elements: els.map((el) => ({
          name: el.tag,
          description: el.description,
          'doc-url': docUrl(pkg, el.tag),
          ...(el.entry ? { source: { module: `${pkg.name}/components/${el.entry}`, symbol: el.className } } : {}),
          attributes: el.attributes.map((a) => ({
            name: a.name,
            description: a.description,
            ...(a.deprecated ? { deprecated: true } : {}),
            ...(a.default !== undefined && a.default !== "''" && !a.boolean ? { default: a.default } : {}),
            value: webTypesValue(a),
            ...(a.values ? { values: a.values.map((name) => ({ name })) } : {}),
          })),
          ...(el.slots.some((s) => s.name) ? { slots: el.slots.filter((s) => s.name).map((s) => ({ name: s.name, description: s.description ?? '' })) } : {}),
          js: { events: el.events.map((e) => ({ name: e.name, description: e.description })) },
          css: {
            parts: el.cssParts.map((p) => ({ name: p.name, description: p.description ?? '' })),
            properties: el.cssProperties.map((p) => ({ name: p.name, description: p.description ?? '' })),
          },
        })),
      },
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const pkg = readJson(path.join(root, 'package.json'));
  const els = elements(readJson(path.join(dist, 'custom-elements.json')), typeAliases(path.join(dist, 'types')));
  if (!els.length) throw new Error('dist/custom-elements.json declares no custom elements');
  writeFileSync(path.join(dist, 'vscode.html-custom-data.json'), JSON.stringify(vscodeData(els, pkg), null, 2) + '\n');
  writeFileSync(path.join(dist, 'web-types.json'), JSON.stringify(webTypes(els, pkg), null, 2) + '\n');
}
