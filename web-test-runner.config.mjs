// web-test-runner: the browser tests (test/core, test/components) in Debian's Chromium with fake media, against
// the reference server + embedded OpenVidu, started once per run by the `ov-server` plugin below.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromeLauncher, puppeteerCore } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import * as esbuild from 'esbuild';

const root = path.dirname(fileURLToPath(import.meta.url));
const requireFromRoot = createRequire(path.join(root, 'package.json'));

const executablePath = process.env.CHROME_PATH || '/usr/bin/chromium';
const chromeFlags = [
  ...JSON.parse(readFileSync(path.join(root, 'test/helpers/chromium-flags.json'), 'utf8')),
  // getDisplayMedia in headless: picks a source without a picker (checked in test/core/live-room.integration.test.ts).
  '--auto-select-desktop-capture-source=Entire screen',
];

// Firefox (Debian's firefox-esr) through puppeteer-core over WebDriver BiDi. Without a display it runs headless, where
// getDisplayMedia has nothing to capture; with Xvfb installed it gets a virtual screen of its own, so screen sharing
// is tested for real. `OV_TEST_BROWSERS=chromium` (or `firefox`) runs one browser only.
const firefoxPath = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';
const wanted = (process.env.OV_TEST_BROWSERS || 'chromium,firefox').split(',');
const FIREFOX_PREFS = JSON.parse(readFileSync(path.join(root, 'test/helpers/firefox-prefs.json'), 'utf8'));
let firefoxHeadless = true;
async function firefoxLaunchers() {
  if (!wanted.includes('firefox')) return [];
  if (!existsSync(firefoxPath))
    throw new Error(`No Firefox at ${firefoxPath}: apt-get install firefox-esr, or set FIREFOX_PATH (OV_TEST_BROWSERS=chromium skips it).`);
  const display = await virtualDisplay();
  firefoxHeadless = !display;
  return [
    chromeLauncher({
      puppeteer: puppeteerCore,
      launchOptions: {
        browser: 'firefox',
        executablePath: firefoxPath,
        headless: !display,
        env: display ? { ...process.env, DISPLAY: display } : process.env,
        extraPrefsFirefox: FIREFOX_PREFS,
      },
    }),
  ];
}

/** An X display for Firefox: the caller's, else an Xvfb of our own that ends with this process; none without Xvfb. */
async function virtualDisplay() {
  if (process.env.DISPLAY) return process.env.DISPLAY;
  const xvfb = ['/usr/bin/Xvfb'].find((p) => existsSync(p));
  if (!xvfb) return undefined;
  // `-displayfd 1`: Xvfb picks a free display itself and prints its number once it accepts clients.
  const x = spawn(xvfb, ['-displayfd', '1', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'pipe', 'ignore'] });
  process.once('exit', () => x.kill());
  const number = await new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve(undefined), 5000);
    x.stdout.on('data', (chunk) => {
      out += chunk;
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve(out.trim());
    });
    x.once('exit', () => resolve(undefined));
  });
  if (!/^\d+$/.test(number ?? '')) {
    x.kill();
    return undefined;
  }
  return `:${number}`;
}

// openvidu-browser's npm `lib/` is CommonJS with circular requires (Session ↔ events…). The dev server transforms
// file by file, and per-file CJS → ESM (@rollup/plugin-commonjs through fromRollup) breaks on those cycles
// ("Cannot access 'require$$1' before initialization"). So it is pre-bundled once with esbuild, whose lazy CJS
// wrappers handle cycles, into one ES module with named exports, and `import … from 'openvidu-browser'` resolves there.
const OV_BUNDLE_PATH = '/__ov/openvidu-browser.js';
let ovBundle;
function openviduBrowserBundle() {
  if (ovBundle) return ovBundle;
  const lib = path.join(root, 'node_modules/openvidu-browser/lib/index.js');
  const names = [
    ...new Set([...readFileSync(lib, 'utf8').matchAll(/(?:exports\.([A-Za-z]+) = |defineProperty\(exports, "([A-Za-z]+)")/g)].map((m) => m[1] ?? m[2])),
  ];
  const result = esbuild.buildSync({
    stdin: {
      contents: `import * as ov from 'openvidu-browser';\nexport const { ${names.join(', ')} } = ov;\nexport default ov;\n`,
      resolveDir: root,
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"', 'process.env.NODE_DEBUG': 'undefined', 'process.browser': 'true', global: 'globalThis' },
  });
  return (ovBundle = result.outputFiles[0].text);
}
const openviduBrowserPlugin = {
  name: 'openvidu-browser-esm',
  resolveImport({ source }) {
    if (source === 'openvidu-browser') return OV_BUNDLE_PATH;
  },
  serve(context) {
    if (context.path === OV_BUNDLE_PATH) return { body: openviduBrowserBundle(), type: 'js' };
  },
};

// React and react-dom are CommonJS too (for the React wrappers' test): one esbuild bundle holds both, so they share
// one copy of React, and `react` / `react-dom/client` resolve to small modules that re-export from it.
const REACT_BUNDLE_PATH = '/__ov/react-bundle.js';
const REACT_MODULES = { react: { path: '/__ov/react.js', name: 'React' }, 'react-dom/client': { path: '/__ov/react-dom-client.js', name: 'ReactDOMClient' } };
let reactBundle;
/** Names a React package exports, read from its development build (requiring React here would wrap this console). */
function cjsExportNames(id) {
  const index = requireFromRoot.resolve(id);
  const dev = /require\(['"](\.\/cjs\/[^'"]+\.development\.js)['"]\)/.exec(readFileSync(index, 'utf8'))[1];
  const code = readFileSync(path.join(path.dirname(index), dev), 'utf8');
  return [...new Set([...code.matchAll(/\bexports\.([A-Za-z_$][\w$]*)\s*=/g)].map((m) => m[1]))];
}
const reactPlugin = {
  name: 'react-esm',
  resolveImport({ source }) {
    return REACT_MODULES[source]?.path;
  },
  serve(context) {
    if (context.path === REACT_BUNDLE_PATH) {
      reactBundle ??= esbuild.buildSync({
        stdin: {
          contents: `import * as React from 'react';\nimport * as ReactDOMClient from 'react-dom/client';\nexport { React, ReactDOMClient };\n`,
          resolveDir: root,
          loader: 'js',
        },
        bundle: true,
        format: 'esm',
        platform: 'browser',
        write: false,
        logLevel: 'silent',
        define: { 'process.env.NODE_ENV': '"development"' },
      }).outputFiles[0].text;
      return { body: reactBundle, type: 'js' };
    }
    for (const [id, { path: modulePath, name }] of Object.entries(REACT_MODULES)) {
      if (context.path !== modulePath) continue;
      const names = cjsExportNames(id);
      return {
        body: `import { ${name} } from '${REACT_BUNDLE_PATH}';\nexport const { ${names.join(', ')} } = ${name};\nexport default ${name};\n`,
        type: 'js',
      };
    }
  },
};

/** The reference server with the embedded OpenVidu, in a child process (it is TypeScript, run through tsx). */
function ovServerPlugin() {
  let child;
  let dataDir;
  let url;
  return {
    name: 'ov-server',
    async serverStart() {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'ov-wtr-'));
      child = spawn(process.execPath, ['--import', 'tsx', 'demo-server/src/server.ts'], {
        cwd: root,
        env: {
          ...process.env,
          PORT: '0',
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          LOG_LEVEL: process.env.LOG_LEVEL || 'silent',
          CORS_ORIGINS: '*',
          RATE_LIMIT_PER_MINUTE: '10000',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      url = await new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error('ov-server: no URL printed within 30 s')), 30_000);
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const m = /ov-live-elements demo: (\S+?)\/?\s/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
          if (process.env.LOG_LEVEL && process.env.LOG_LEVEL !== 'silent') process.stdout.write(chunk);
        });
        child.once('exit', (code) => reject(new Error(`ov-server exited with ${code}: ${out}`)));
      });
      process.env.OV_TEST_SERVER = url;
    },
    async serverStop() {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    get url() {
      return url;
    },
  };
}

const ovServer = ovServerPlugin();

/** Same-origin `/api/*` → the reference server (streams, so SSE works), so elements can keep their default `api="/api"`. */
function apiProxy(ctx, next) {
  if (!ctx.url.startsWith('/api/') || !ovServer.url) return next();
  const target = new URL(ctx.url, ovServer.url);
  ctx.respond = false;
  return new Promise((resolve) => {
    const headers = { ...ctx.req.headers, host: target.host };
    delete headers.origin;
    const upstream = http.request(target, { method: ctx.method, headers }, (res) => {
      ctx.res.writeHead(res.statusCode ?? 502, res.headers);
      res.pipe(ctx.res);
      res.on('end', resolve);
      res.on('error', resolve);
    });
    upstream.on('error', (err) => {
      if (!ctx.res.headersSent) ctx.res.writeHead(502, { 'content-type': 'text/plain' });
      ctx.res.end(String(err));
      resolve();
    });
    // Not req 'close': since Node 16 that fires once the request body is read. The response closes on disconnect.
    ctx.res.on('close', () => upstream.destroy());
    ctx.req.pipe(upstream);
  });
}

/** `POST /__test/status/<code>` answers that status with a JSON error: token endpoints that fail on purpose. */
function failingEndpoint(ctx, next) {
  const m = /^\/__test\/status\/([1-5][0-9]{2})$/.exec(ctx.path);
  if (!m) return next();
  ctx.status = Number(m[1]);
  ctx.type = 'application/json';
  ctx.body = JSON.stringify({ statusCode: ctx.status, error: 'Test', message: 'failing on purpose', code: 'OV_TEST' });
}

export default {
  rootDir: root,
  files: ['test/core/**/*.test.ts', 'test/components/**/*.test.ts'],
  concurrency: 1,
  concurrentBrowsers: 1,
  nodeResolve: { browser: true, exportConditions: ['browser', 'default'] },
  browsers: [...(wanted.includes('chromium') ? [chromeLauncher({ launchOptions: { executablePath, args: chromeFlags } })] : []), ...(await firefoxLaunchers())],
  testFramework: { config: { timeout: 30_000 } },
  testsFinishTimeout: 10 * 60_000,
  browserStartTimeout: 60_000,
  middleware: [failingEndpoint, apiProxy],
  // openvidu-browser logs an error for every participant that leaves after our own disconnect: noise in tests.
  filterBrowserLogs: ({ args }) =>
    !args.some((a) => typeof a === 'string' && /unknown when 'onParticipant(Left|Unpublished)'/.test(a)) &&
    !args.some((a) => a && typeof a === 'object' && typeof a.message === 'string' && /unknown when 'onParticipant/.test(a.message)),
  plugins: [ovServer, openviduBrowserPlugin, reactPlugin, esbuildPlugin({ ts: true, tsconfig: path.join(root, 'tsconfig.json') })],
  // Tests read the server from these globals: `OV_TEST_API` is same-origin (proxied), `OV_TEST_SERVER` the direct URL.
  testRunnerHtml: (testFramework) => `<!doctype html>
<html><head><meta charset="utf-8"></head><body>
<script>window.OV_TEST_API = '/api'; window.OV_TEST_SERVER = ${JSON.stringify(ovServer.url ?? '')}; window.OV_TEST_FIREFOX_HEADLESS = ${firefoxHeadless};</script>
<script type="module" src="${testFramework}"></script>
</body></html>`,
};
