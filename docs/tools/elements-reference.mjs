#!/usr/bin/env node
// Regenerates the reference part of docs/elements.md from dist/custom-elements.json (run `npm run build` first) and
// the string tables in src/i18n/strings.ts. Everything above the GENERATED marker is hand-written and kept.
// `--check` only compares, and exits 1 when the page differs.
import { readFileSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MARK = '<!-- GENERATED from dist/custom-elements.json by docs/tools/elements-reference.mjs: do not edit below -->';
const manifest = JSON.parse(readFileSync(path.join(root, 'dist/custom-elements.json'), 'utf8'));
const docPath = path.join(root, 'docs/elements.md');
const head = readFileSync(docPath, 'utf8').split(MARK)[0].trimEnd();

const cell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n+/g, ' ')
    .trim();
const type = (t) => (t?.text ? '`' + t.text.replace(/\s+/g, ' ').trim() + '`' : ''); // escaped once, by the table's cell()
const table = (title, cols, rows) =>
  rows.length
    ? [`#### ${title}`, '', `| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`), '']
    : [];

const out = [head, '', MARK, '', '## Reference', ''];
const decls = manifest.modules
  .flatMap((m) => m.declarations ?? [])
  .filter((d) => d.tagName)
  .sort((a, b) => a.tagName.localeCompare(b.tagName));
for (const d of decls) {
  out.push(`### \`<${d.tagName}>\``, '', d.summary ?? d.description ?? '', '');
  out.push(
    ...table(
      'Attributes',
      ['attribute', 'property', 'type', 'default', 'description'],
      (d.attributes ?? []).map((a) => [
        `\`${a.name}\``,
        a.fieldName ? `\`${a.fieldName}\`` : '',
        type(a.type),
        a.default ? '`' + a.default + '`' : '',
        a.description,
      ]),
    ),
  );
  const props = (d.members ?? []).filter(
    (m) => m.kind === 'field' && m.privacy !== 'private' && m.privacy !== 'protected' && !m.static && !(d.attributes ?? []).some((a) => a.fieldName === m.name),
  );
  out.push(
    ...table(
      'Properties (no attribute)',
      ['property', 'type', 'description'],
      props.map((m) => [`\`${m.name}\``, type(m.type), `${m.readonly ? '(read-only) ' : ''}${m.description ?? ''}`]),
    ),
  );
  const methods = (d.members ?? []).filter(
    (m) => m.kind === 'method' && m.privacy !== 'private' && m.privacy !== 'protected' && !m.static && !m.name.startsWith('_'),
  );
  out.push(
    ...table(
      'Methods',
      ['method', 'returns', 'description'],
      methods.map((m) => [
        `\`${m.name}(${(m.parameters ?? []).map((p) => p.name + (p.optional ? '?' : '')).join(', ')})\``,
        type(m.return?.type),
        m.description,
      ]),
    ),
  );
  out.push(
    ...table(
      'Events',
      ['event', 'description'],
      (d.events ?? []).map((e) => [`\`${e.name}\``, e.description]),
    ),
  );
  out.push(
    ...table(
      'CSS parts',
      ['part', 'description'],
      (d.cssParts ?? []).map((p) => [`\`${p.name}\``, p.description]),
    ),
  );
  out.push(
    ...table(
      'CSS custom properties',
      ['property', 'description'],
      (d.cssProperties ?? []).map((p) => [`\`${p.name}\``, p.description]),
    ),
  );
  out.push(
    ...table(
      'Slots',
      ['slot', 'description'],
      (d.slots ?? []).map((s) => [s.name ? `\`${s.name}\`` : '(default)', s.description]),
    ),
  );
}
// The strings every element shows, in both built-in languages (the `strings` property overrides any key).
const compiled = esbuild.buildSync({
  entryPoints: [path.join(root, 'src/i18n/strings.ts')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
  logLevel: 'silent',
});
const { en, ko } = await import(`data:text/javascript;base64,${Buffer.from(compiled.outputFiles[0].text).toString('base64')}`);
out.push('### Strings', '', 'Keys of the `strings` property, with the built-in English and Korean texts. `{placeholders}` are filled in.', '');
out.push(
  ...table(
    '',
    ['key', 'English', '한국어'],
    Object.keys(en).map((k) => [`\`${k}\``, en[k], ko[k]]),
  ).slice(2),
);

const text = out.join('\n').trimEnd() + '\n';
// `--check`: fail when docs/elements.md is not what the manifest gives (the test suite runs this).
if (process.argv.includes('--check')) {
  if (readFileSync(docPath, 'utf8') !== text) {
    console.error('docs/elements.md is out of date with dist/custom-elements.json: run node docs/tools/elements-reference.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(docPath, text);
  console.log(`docs/elements.md: ${decls.map((d) => d.tagName).join(', ')}`);
}
