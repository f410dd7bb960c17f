#!/usr/bin/env node
// `npm test`: every test suite of the project (2 cores: one browser at a time).
//   0. The build the bundle tests and `npm start` read (when dist/ is stale)
//   1. Node tests (node:test): embedded OpenVidu, reference server, bundles, end-to-end journeys (npm start + Chromium),
//      the server behind NAT in network namespaces (as root), the WordPress plugin in a real WordPress (test/wordpress,
//      also on its own: node test/wordpress/run.mjs).
//      Two lanes side by side, each one file at a time: the files that drive a browser or real media; and the type
//      check (tsc), the lint (ESLint + Prettier) and the other files (in-process servers, fakes, files on disk),
//      which mostly wait on I/O and fit beside them. The second lane's report is printed after the first's.
//   2. Browser tests (web-test-runner): core and elements, against the reference server, in Chromium and Firefox
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const chrome = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((c) => c && existsSync(c));
if (!chrome) {
  console.error("npm test: no Chromium found. Install Debian's chromium (apt-get install chromium) or set CHROME_PATH to a Chromium binary.");
  process.exit(1);
}
process.env.CHROME_PATH = chrome;
const firefox = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';
if ((process.env.OV_TEST_BROWSERS ?? 'firefox').includes('firefox') && !existsSync(firefox)) {
  console.error(
    "npm test: no Firefox found. Install Debian's firefox-esr (apt-get install firefox-esr) or set FIREFOX_PATH (OV_TEST_BROWSERS=chromium runs the browser tests in Chromium only).",
  );
  process.exit(1);
}

/** Node test files under the given folders, in a stable order. */
function nodeTests(...dirs) {
  return dirs.flatMap((d) =>
    existsSync(d)
      ? readdirSync(d, { recursive: true })
          .filter((f) => String(f).endsWith('.test.ts'))
          .sort()
          .map((f) => path.join(d, String(f)))
      : [],
  );
}

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env: process.env }).status ?? 1;

// `npm test -- <files>` runs only those Node test files.
const only = process.argv.slice(2);
if (only.length) process.exit(run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...only]));

// The build, once, before the suites that read dist/ (two at once would write it together).
const buildStatus = run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "(await import('./test/helpers/build.ts')).ensureBuild()"]);

// Node suites: spec on the terminal (the side queue's after the main one's), TAP in files for the totals.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ov-test-'));
const files = nodeTests('test/embedded-openvidu', 'test/demo-server', 'test/build', 'test/e2e', 'test/netns', 'test/wordpress');
/** A suite that starts a browser, `npm start` or real media runs in the main queue, one such at a time. */
const HEAVY = /helpers\/(browser|ov-browser|participant|demo-page|firefox|raw-publisher|build)\.js|launchChromium|npmStart/;
const heavy = files.filter((f) => HEAVY.test(readFileSync(f, 'utf8')));
const light = files.filter((f) => !heavy.includes(f));
// A lane that outlives LANE_LIMIT_MS (a file whose tests are over but which something it started keeps alive) is
// killed and fails, rather than holding CI until its own limit.
const LANE_LIMIT_MS = 30 * 60_000;
/** Run a command; its output goes to the terminal, or to `log` (printed later). Resolves with its exit status. */
const step = (args, log) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: log ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: process.env });
    const limit = setTimeout(() => {
      process.stderr.write(`\nA test lane was still running after ${LANE_LIMIT_MS / 60_000} min: killed.\n`);
      child.kill('SIGKILL');
      resolve(1);
    }, LANE_LIMIT_MS);
    if (log) {
      child.stdout.on('data', (d) => appendFileSync(log, d));
      child.stderr.on('data', (d) => appendFileSync(log, d));
    }
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve(code ?? 1);
    });
  });
// No test may hang the run for long either.
const nodeTestArgs = (list, spec, tap) => [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=1',
  '--test-timeout=600000',
  '--test-reporter=spec',
  `--test-reporter-destination=${spec}`,
  '--test-reporter=tap',
  `--test-reporter-destination=${tap}`,
  ...list,
];
const sideLog = path.join(tmp, 'side.log');
const sideSpec = path.join(tmp, 'side.spec');
const taps = [path.join(tmp, 'main.tap'), path.join(tmp, 'side.tap')];
// The side lane also runs the static checks (types, then ESLint and Prettier; their errors fail the run).
const side = (async () => {
  const typecheck = await step([path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], sideLog);
  const lint = await step([path.join(root, 'scripts/lint.mjs')], sideLog);
  const tests = await step(nodeTestArgs(light, sideSpec, taps[1]), sideLog);
  return { typecheck, lint, tests };
})();
const mainStatus = await step(nodeTestArgs(heavy, 'stdout', taps[0]));
const { typecheck: typecheckStatus, lint: lintStatus, tests: sideStatus } = await side;
process.stdout.write(`\n--- beside them: type check, lint and ${light.length} more files ---\n`);
for (const f of [sideLog, sideSpec]) if (existsSync(f)) process.stdout.write(readFileSync(f, 'utf8'));
const nodeStatus = buildStatus || mainStatus || sideStatus;
const tapText = taps.map((t) => (existsSync(t) ? readFileSync(t, 'utf8') : '')).join('\n');
const count = (key) => [...tapText.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
rmSync(tmp, { recursive: true, force: true });

// Browser suites: their output is passed through and their totals read from it.
const wtr = spawnSync(process.execPath, [path.join(root, 'node_modules/@web/test-runner/dist/bin.js'), '--config', 'web-test-runner.config.mjs'], {
  env: process.env,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
  maxBuffer: 64 * 1024 * 1024,
});
process.stdout.write(wtr.stdout ?? '');
// Each browser's last progress line holds its totals: "Firefox: |███| 13/13 test files | 129 passed, 0 failed".
const plain = (wtr.stdout ?? '').replace(new RegExp(String.fromCharCode(27) + '\\[[0-9;]*[A-Za-z]', 'g'), ''); // progress lines start with cursor moves
const perBrowser = new Map([...plain.matchAll(/^(\w+):\s+\|.*\| (\d+) passed, (\d+) failed/gm)].map((m) => [m[1], [Number(m[2]), Number(m[3])]]));
const browserStatus = wtr.status ?? 1;

const sum = (i) => [...perBrowser.values()].reduce((a, t) => a + t[i], 0);
const passed = count('pass') + sum(0);
const failed = count('fail') + sum(1) + (browserStatus !== 0 && !perBrowser.size ? 1 : 0);
console.log(`\nNode: ${count('pass')} passed, ${count('fail')} failed; ${[...perBrowser].map(([b, [p, f]]) => `${b}: ${p} passed, ${f} failed`).join('; ')}`);
console.log(`${passed} passed, ${failed} failed`);
if (typecheckStatus !== 0 || lintStatus !== 0 || nodeStatus !== 0 || browserStatus !== 0) {
  const what = [
    typecheckStatus && 'Type errors.',
    lintStatus && 'Lint errors (npm run lint -- --fix fixes most).',
    nodeStatus && 'Node tests failed.',
    browserStatus && 'Browser tests failed.',
  ];
  console.error(`npm test: ${what.filter(Boolean).join(' ')}`);
  process.exit(1);
}
