// A rollup plugin that minifies the text of Lit's css`…` templates in our own modules: comments go, runs of
// whitespace become one space, and the space beside `{`, `}`, `;` and `,` goes. Terser keeps template text as it is,
// and the elements' styles are a tenth of the script-tag build's own bytes. Conservative on purpose: spaces beside
// `:`, `>`, `+` and `-` stay (`a :hover` is not `a:hover`; `calc(1px + 2px)` needs them), and `${…}` parts are
// left alone. In html`…` templates only the indentation goes: a run of whitespace holding a line break becomes one
// line break, which separates what it separated before (the elements have no <pre>, <textarea> or white-space: pre).
import MagicString from 'magic-string';

/** The minified text of one static part of a css`` template. */
export function minifyCssText(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{};,])\s*/g, '$1')
    .replace(/;}/g, '}');
}

/** The text of one static part of an html`` template, without its indentation. */
export function minifyHtmlText(text) {
  return text.replace(/[ \t]*\n\s*/g, '\n');
}

/** Each static part of every css`…` template in `code`, as [start, end) offsets (between `${…}` parts). */
export function cssTemplateParts(code, tag = 'css') {
  const parts = [];
  const re = new RegExp(`\\b${tag}\\s*\``, 'g'); // TypeScript emits `css `…``
  let m;
  while ((m = re.exec(code))) {
    let i = m.index + m[0].length;
    let start = i;
    for (;;) {
      const c = code[i];
      if (c === undefined) return parts; // unterminated: leave the file alone from here
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '`') {
        parts.push([start, i]);
        break;
      }
      if (c === '$' && code[i + 1] === '{') {
        parts.push([start, i]);
        // Skip the expression, braces balanced (our styles interpolate only names and unsafeCSS calls).
        let depth = 0;
        for (i += 1; i < code.length; i++) {
          if (code[i] === '{') depth++;
          else if (code[i] === '}' && --depth === 0) break;
        }
        start = i + 1;
      }
      i++;
    }
    re.lastIndex = i + 1;
  }
  return parts;
}

export function minifyCssLiterals({ include = /\/components\/.*\.[jt]s$/ } = {}) {
  return {
    name: 'minify-css-literals',
    transform(code, id) {
      if (!include.test(id) || !/\b(css|html)\s*`/.test(code)) return null;
      const s = new MagicString(code);
      for (const [a, b] of cssTemplateParts(code, 'html')) {
        const text = code.slice(a, b);
        const out = minifyHtmlText(text);
        if (out !== text) s.overwrite(a, b, out);
      }
      for (const [a, b] of cssTemplateParts(code)) {
        const text = code.slice(a, b);
        const min = minifyCssText(text);
        // Whitespace at a part's edge may separate it from an interpolated value: keep one space there.
        const lead = /^\s/.test(text) && code[a - 1] === '}' && !/^[ {};,]/.test(min) ? ' ' : '';
        const trail = /\s$/.test(text) && code[b] === '$' && !/[ {};,]$/.test(min) ? ' ' : '';
        const out = lead + min + trail;
        if (out !== text) s.overwrite(a, b, out);
      }
      return { code: s.toString(), map: s.generateMap({ hires: true }) };
    },
  };
}
