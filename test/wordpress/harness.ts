// A real WordPress for the plugin's tests, made from nothing in a temporary folder and without downloads: Debian's
// `wordpress` files (linked, not copied, when they can be), a wp-config.php of ours instead of Debian's (which reads
// /etc/wordpress), our own wp-content with the plugin copied in as a user would unzip it, a throwaway MariaDB on a
// Unix socket (mariadb.ts), PHP's built-in server on 127.0.0.1 with 4 workers, and a headless install (setup.php).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMariaDb, type MariaDb } from './mariadb.js';
import { WORDPRESS_FILES } from './packages.js';
import { alive } from '../helpers/processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PLUGIN = 'ov-live-elements/ov-live-elements.php';

export interface Login {
  user: string;
  password: string;
}

export interface WordPressSite {
  /** The site's origin, e.g. http://127.0.0.1:43211 */
  url: string;
  /** The page holding the block. */
  page: string;
  /** The token route for the page's room, as WordPress names it (rest_url). */
  rest: string;
  version: string;
  /** How long each set-up step took, in ms. */
  timings: Record<string, number>;
  admin: Login;
  editor: Login & { name: string };
  /** PHP's own errors and WordPress's debug log (WP_DEBUG_LOG) so far. */
  phpLog(): string;
  /** The temporary folder holding everything. */
  dir: string;
  /** What still runs of MariaDB and PHP's server (its process group): none once stopped. */
  leftovers(): string[];
  /** Stops PHP and MariaDB and removes the folder. */
  stop(): Promise<void>;
}

export interface SiteOptions {
  /** The port PHP listens on (known before, so the reference server can list the origin in CORS_ORIGINS). */
  port: number;
  /** The plugin's folder (copied into wp-content/plugins). */
  pluginDir: string;
  /** The plugin's option `ov_live_elements` (awaited after WordPress is installed). */
  options: Record<string, unknown> | Promise<Record<string, unknown>>;
  /** The page's content (block markup). */
  content: string;
  editorName: string;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Links (or, across file systems or without the right, copies) a folder tree, recreating symlinks as absolute ones. */
function linkTree(from: string, to: string, skip: (rel: string) => boolean, rel = ''): void {
  mkdirSync(path.join(to, rel), { recursive: true });
  for (const e of readdirSync(path.join(from, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (skip(r)) continue;
    const src = path.join(from, r);
    const dst = path.join(to, r);
    if (e.isSymbolicLink()) symlinkSync(path.resolve(path.dirname(src), readlinkSync(src)), dst);
    else if (e.isDirectory()) linkTree(from, to, skip, r);
    else
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst);
      }
  }
}

const php = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

function wpConfig(db: MariaDb, url: string, docroot: string, debugLog: string): string {
  const salts = ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'];
  const define = (k: string, v: string | boolean) => `define( '${k}', ${typeof v === 'boolean' ? String(v) : php(v)} );`;
  return [
    '<?php',
    define('DB_NAME', db.database),
    define('DB_USER', db.user),
    define('DB_PASSWORD', db.password),
    define('DB_HOST', `localhost:${db.socket}`),
    define('DB_CHARSET', 'utf8mb4'),
    define('DB_COLLATE', ''),
    ...salts.map((k) => define(k, randomBytes(32).toString('base64'))),
    "$table_prefix = 'wp_';",
    define('WP_HOME', url),
    define('WP_SITEURL', url),
    define('WP_CONTENT_DIR', path.join(docroot, 'wp-content')),
    // Nothing leaves the machine: no update checks, no cron requests, no calls to wordpress.org.
    define('WP_HTTP_BLOCK_EXTERNAL', true),
    define('AUTOMATIC_UPDATER_DISABLED', true),
    define('WP_AUTO_UPDATE_CORE', false),
    define('DISABLE_WP_CRON', true),
    // Notices logged, not shown: the test reads the log for the plugin's own.
    define('WP_DEBUG', true),
    define('WP_DEBUG_DISPLAY', false),
    define('WP_DEBUG_LOG', debugLog),
    "if ( ! defined( 'ABSPATH' ) ) { define( 'ABSPATH', __DIR__ . '/' ); }",
    "require_once ABSPATH . 'wp-settings.php';",
    '',
  ].join('\n');
}

function runSetup(phase: 'install' | 'configure', input: object, docroot: string): string {
  const r = spawnSync('php', [path.join(here, 'setup.php'), phase], { cwd: docroot, input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`setup.php ${phase} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Waits until PHP's server answers on `url`; fails if it exits first. */
async function answering(url: string, child: ChildProcess, out: () => string): Promise<void> {
  const end = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`php -S exited (${child.exitCode}):\n${out()}`);
    const ok = await fetch(`${url}/wp-includes/images/blank.gif`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > end) throw new Error(`php -S not answering on ${url}:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops PHP's server and its workers (its process group): SIGTERM, SIGKILL after 10 s; waits until none is left. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const signal = (sig: NodeJS.Signals | 0) => {
    try {
      process.kill(-child.pid!, sig);
      return true;
    } catch {
      return false; // ESRCH: the group is empty
    }
  };
  const end = Date.now() + 10_000;
  if (!signal('SIGTERM')) return;
  // Bounded: a worker left as a zombie (where nothing reaps orphans) still counts as in the group.
  for (let i = 0; i < 300 && signal(0); i++) {
    if (Date.now() > end) signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Makes, installs and starts the site; on failure everything started so far is stopped and removed. */
export async function startWordPress(opts: SiteOptions): Promise<WordPressSite> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ov-wordpress-'));
  const docroot = path.join(dir, 'www');
  const url = `http://127.0.0.1:${opts.port}`;
  const phpErrors = path.join(dir, 'php-errors.log');
  const debugLog = path.join(dir, 'debug.log');
  const timings: Record<string, number> = {};
  let t = Date.now();
  const lap = (what: string) => ((timings[what] = Date.now() - t), (t = Date.now()));
  let db: MariaDb | undefined;
  let server: ChildProcess | undefined;
  const leftovers = () =>
    [alive(db?.pid) && `mariadbd (${db!.pid})`, alive(server?.pid && -server.pid) && `php -S and its workers (group ${server!.pid})`].filter(
      (x): x is string => !!x,
    );
  // Interrupted or crashed: PHP (in its own process group) and MariaDB still go, and the folder with them.
  const killNow = () => {
    for (const pid of [server?.pid && -server.pid, db?.pid])
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    rmSync(dir, { recursive: true, force: true });
  };
  const interrupted = () => {
    killNow();
    process.exit(130);
  };
  process.once('exit', killNow);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const stop = async () => {
    if (server) await stopGroup(server);
    await db?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    process.removeListener('exit', killNow);
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  };
  try {
    // WordPress's files, with our wp-config.php and wp-content (themes linked, languages left out).
    linkTree(WORDPRESS_FILES, docroot, (r) => ['wp-config.php', '.htaccess', 'wp-content/languages', 'wp-content/plugins'].includes(r));
    mkdirSync(path.join(docroot, 'wp-content/plugins'), { recursive: true });
    mkdirSync(path.join(docroot, 'wp-content/uploads'), { recursive: true });
    cpSync(opts.pluginDir, path.join(docroot, 'wp-content/plugins', path.basename(opts.pluginDir)), { recursive: true });

    lap('files');
    db = await startMariaDb(path.join(dir, 'db'));
    lap('mariadb');
    writeFileSync(path.join(docroot, 'wp-config.php'), wpConfig(db, url, docroot, debugLog), { mode: 0o600 });

    const admin = { user: 'admin', password: randomBytes(12).toString('base64url') };
    const editor = { user: 'editor', password: randomBytes(12).toString('base64url'), name: opts.editorName };
    const base = { docroot, url };
    runSetup('install', { ...base, admin_password: admin.password }, docroot);
    lap('install');
    const options = await opts.options;
    const made = JSON.parse(
      runSetup('configure', { ...base, plugin: PLUGIN, options, editor_password: editor.password, editor_name: editor.name, content: opts.content }, docroot),
    ) as { page: string; active: boolean; rest: string; version: string };
    if (!made.active) throw new Error('the plugin is not active after activate_plugin');
    lap('configure');

    let out = '';
    server = spawn(
      'php',
      [
        '-d',
        'display_errors=0',
        '-d',
        'log_errors=1',
        '-d',
        `error_log=${phpErrors}`,
        '-S',
        `127.0.0.1:${opts.port}`,
        '-t',
        docroot,
        path.join(here, 'router.php'),
      ],
      // The built-in server answers one request at a time unless told to fork workers.
      // Its own process group: the workers stop with it.
      { cwd: docroot, env: { ...process.env, PHP_CLI_SERVER_WORKERS: '4' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    server.stdout!.on('data', (c) => (out = (out + c).slice(-20_000)));
    server.stderr!.on('data', (c) => (out = (out + c).slice(-20_000)));
    await answering(url, server, () => out);
    lap('php');

    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    return {
      url,
      page: made.page,
      rest: made.rest,
      version: made.version,
      timings,
      admin,
      editor,
      phpLog: () => read(phpErrors) + read(debugLog),
      dir,
      leftovers,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
