// The shipped bundles: they build, fit the size budget, and the self-contained one defines every tag in a page
// (twice without throwing), with no network access but its own file.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { launchChromium } from '../helpers/browser.js';
import { ensureBuild, root } from '../helpers/build.js';

/** Budgets from the issue: our own code, and the whole self-contained script. */
const OWN_CODE_BUDGET = 20 * 1024;
const BUNDLE_BUDGET = 110 * 1024;

/** Our code alone, as a bundler user would ship it: minified, Lit and openvidu-browser left out. */
export async function ownCodeGzip(): Promise<number> {
  const out = await esbuild.build({
    entryPoints: [path.join(root, 'components/index.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
    external: ['lit', 'lit/*', '@lit/*', 'openvidu-browser'],
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'silent',
  });
  return gzipSync(out.outputFiles[0].contents, { level: 9 }).length;
}

describe('bundles', () => {
  before(ensureBuild);

  it(`our own code stays within ${OWN_CODE_BUDGET / 1024} KB gzip, the self-contained bundle within ${BUNDLE_BUDGET / 1024} KB`, async () => {
    const own = await ownCodeGzip();
    const bundle = gzipSync(readFileSync(path.join(root, 'dist/ov-live-elements.js')), { level: 9 }).length;
    console.log(`    own code ${(own / 1024).toFixed(1)} KB gzip; dist/ov-live-elements.js ${(bundle / 1024).toFixed(1)} KB gzip`);
    assert.ok(own <= OWN_CODE_BUDGET, `own code ${own} B > ${OWN_CODE_BUDGET} B`);
    assert.ok(bundle <= BUNDLE_BUDGET, `bundle ${bundle} B > ${BUNDLE_BUDGET} B`);
  });

  it('the package entries keep lit and openvidu-browser as dependencies', () => {
    // the entries (index, core, components/*, react) and the chunks they share
    const dist = path.join(root, 'dist');
    const files = ['index.js', 'core.js', 'react.js', ...['components', 'chunks'].flatMap((d) => readdirSync(path.join(dist, d)).map((f) => `${d}/${f}`))].filter((f) => f.endsWith('.js'));
    const code = files.map((f) => readFileSync(path.join(dist, f), 'utf8')).join('\n');
    assert.match(code, /from ['"]lit['"]/);
    assert.match(code, /import ['"]openvidu-browser['"]|from ['"]openvidu-browser['"]/);
    assert.doesNotMatch(code, /class\s+OpenVidu\b/, 'openvidu-browser is not inlined');
    assert.doesNotMatch(code, /class\s+ReactiveElement\b/, 'lit is not inlined');
  });

  it('dist/ov-live-elements.js defines the three tags in a page, and loading it twice does not throw', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const js = readFileSync(path.join(root, 'dist/ov-live-elements.js'), 'utf8');
      await page.route('http://bundle.test/**', (route) => {
        const url = route.request().url();
        if (url.endsWith('.js') || url.includes('.js?')) return route.fulfill({ contentType: 'text/javascript', body: js });
        return route.fulfill({ contentType: 'text/html', body: '<!doctype html><ov-live-room session="demo"></ov-live-room><ov-clip-list session="demo"></ov-clip-list><ov-snapshot-button></ov-snapshot-button>' });
      });
      await page.goto('http://bundle.test/');
      await page.addScriptTag({ url: 'http://bundle.test/ov-live-elements.js', type: 'module' });
      await page.addScriptTag({ url: 'http://bundle.test/ov-live-elements.js?again', type: 'module' });
      const defined = await page.evaluate(() => ['ov-live-room', 'ov-clip-list', 'ov-snapshot-button'].map((t) => !!customElements.get(t)));
      assert.deepEqual(defined, [true, true, true]);
      const upgraded = await page.evaluate(() => !!document.querySelector('ov-live-room')!.shadowRoot);
      assert.ok(upgraded, 'the element in the page got its shadow root');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
