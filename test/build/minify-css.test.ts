// The script-tag build's minifier of css`…` templates: it shrinks the text without changing what the CSS means.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error: a plain .mjs build script, without types
import { cssTemplateParts, minifyCssLiterals, minifyCssText, minifyHtmlText } from '../../scripts/minify-css-literals.mjs';

const transform = (code: string, id = '/repo/components/x/x.styles.ts') =>
  (minifyCssLiterals() as { transform: (code: string, id: string) => { code: string } | null }).transform(code, id)?.code;

describe('css`…` minifier', () => {
  it('drops comments and collapses whitespace, and the space beside { } ; , only', () => {
    assert.equal(minifyCssText('\n  :host {\n    display: block; /* x */\n  }\n  a, b {  color : red ;  }\n'), ' :host{display: block}a,b{color : red}');
  });

  it('keeps the spaces that carry meaning: descendant pseudo-classes, combinators, calc(), strings', () => {
    assert.equal(minifyCssText('a :hover { x: 1 }'), 'a :hover{x: 1}', 'a :hover is not a:hover');
    assert.equal(minifyCssText('a > b + c ~ d { x: 1 }'), 'a > b + c ~ d{x: 1}');
    assert.equal(minifyCssText('p { width: calc(100% - 2 * 4px); }'), 'p{width: calc(100% - 2 * 4px)}');
    assert.equal(minifyCssText("p { font: 12px 'A B'; }"), "p{font: 12px 'A B'}");
  });

  it('leaves ${…} parts alone, and a value beside them keeps its separating space', () => {
    const code = 'const s = css `\n  .a { color: ${c}; margin: ${m} 0 }\n  .${n} { x: 1 }\n`;';
    const parts = cssTemplateParts(code).map(([a, b]: [number, number]) => code.slice(a, b));
    assert.deepEqual(parts, ['\n  .a { color: ', '; margin: ', ' 0 }\n  .', ' { x: 1 }\n']);
    assert.equal(transform(code), 'const s = css ` .a{color: ${c};margin: ${m} 0}.${n}{x: 1}`;');
  });

  it('touches only css and html templates in our components: other strings and dependencies stay as they are', () => {
    const code = 'const t = html`<p>  a  b  </p>`; const s = "a  {\\n  b }";';
    assert.equal(transform(`${code} const c = css\`p {  x: 1 }\`;`), `${code} const c = css\`p{x: 1}\`;`);
    assert.equal(transform('const c = css`p {  x: 1 }`;', '/repo/node_modules/lit/x.js'), undefined);
    assert.equal(transform('const t = html`<p>\n  a\n</p>`;', '/repo/node_modules/lit/x.js'), undefined);
  });

  it('html`…`: only indentation goes (a run of whitespace with a line break becomes one line break); ${…} and spaces on a line stay', () => {
    assert.equal(minifyHtmlText('\n      <p class="a  b">\n        x  y\n      </p>\n    '), '\n<p class="a  b">\nx  y\n</p>\n');
    const code = 'const t = html`\n  <ul>\n    ${items.map((i) => html`\n      <li>${i}</li>`)}\n  </ul>\n`;';
    // The outer template's static parts lose their indentation; the nested one inside ${…} is left as written.
    assert.equal(transform(code), 'const t = html`\n<ul>\n${items.map((i) => html`\n      <li>${i}</li>`)}\n</ul>\n`;');
  });
});
