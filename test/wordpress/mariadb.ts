// A throwaway MariaDB for the WordPress tests: Debian's mariadbd on a Unix socket in a folder of ours (no TCP port at
// all), a fresh data folder, and a database user with a random password made at start-up (--init-file).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface MariaDb {
  socket: string;
  database: string;
  user: string;
  password: string;
  pid: number;
  /** SIGTERM, and SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;

/** Initialises a data folder under `dir` and starts mariadbd on it; resolves once it accepts connections. */
export async function startMariaDb(dir: string): Promise<MariaDb> {
  const datadir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  mkdirSync(datadir, { recursive: true });
  // Small and unsynced: a throwaway database (the default 96 MB redo log alone takes seconds to write).
  const innodb = ['--skip-log-bin', '--innodb-log-file-size=8M', '--innodb-buffer-pool-size=32M', '--innodb-flush-log-at-trx-commit=0'];
  // --no-defaults: the system's /etc/mysql settings (its socket, its data folder) are not ours.
  const init = spawnSync(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...innodb, ...(asRoot ? ['--user=root'] : [])],
    { encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`mariadb-install-db failed (${init.status}):\n${init.stdout}\n${init.stderr}`);

  const db = { database: 'wordpress', user: 'wordpress', password: randomBytes(18).toString('base64url') };
  const initFile = path.join(dir, 'init.sql');
  writeFileSync(
    initFile,
    `CREATE DATABASE ${db.database} CHARACTER SET utf8mb4;\n` +
      `CREATE USER '${db.user}'@'localhost' IDENTIFIED BY '${db.password}';\n` +
      `GRANT ALL PRIVILEGES ON ${db.database}.* TO '${db.user}'@'localhost';\n`,
    { mode: 0o600 },
  );
  const child = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${socket}`,
      `--pid-file=${path.join(dir, 'mysqld.pid')}`,
      '--skip-networking',
      `--init-file=${initFile}`,
      ...innodb,
      ...(asRoot ? ['--user=root'] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await ready(child);
  return { socket, ...db, pid: child.pid!, stop: () => stopChild(child) };
}

/** Resolves when mariadbd logs that it accepts connections (after running the init file); rejects if it exits. */
function ready(child: ChildProcess): Promise<void> {
  let log = '';
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.stderr!.removeListener('data', seen);
      child.removeListener('exit', exited);
      child.stderr!.resume(); // keep draining, unread
      if (!err) return resolve();
      child.kill('SIGKILL');
      reject(err);
    };
    const seen = (chunk: Buffer) => {
      log += chunk;
      if (/ready for connections/.test(log)) done();
    };
    const exited = (code: number | null) => done(new Error(`mariadbd exited (${code}):\n${log}`));
    const timer = setTimeout(() => done(new Error(`mariadbd not ready within 30 s:\n${log}`)), 30_000);
    child.stderr!.on('data', seen);
    child.once('exit', exited);
  });
}

/** SIGTERM, SIGKILL after 10 s; resolves once the child has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
