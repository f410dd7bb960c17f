// The Debian packages the WordPress tests run on, and installing them where they are absent and this process may.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const WORDPRESS_FILES = '/usr/share/wordpress';
/** The theme is only a recommendation of `wordpress`: named so that an apt set not to install those still gets it. */
export const APT_PACKAGES = ['wordpress', 'wordpress-theme-twentytwentythree', 'php-cli', 'php-mysql', 'mariadb-server'];

/** What is missing to run WordPress here, or undefined when everything is. */
export function wordpressMissing(): string | undefined {
  const lacking = [
    !existsSync(path.join(WORDPRESS_FILES, 'wp-load.php')) && 'wordpress',
    !existsSync(path.join(WORDPRESS_FILES, 'wp-content/themes/twentytwentythree')) && 'wordpress-theme-twentytwentythree',
    spawnSync('php', ['-r', 'exit(extension_loaded("mysqli") ? 0 : 1);']).status !== 0 && 'php-cli with php-mysql',
    spawnSync('mariadbd', ['--version']).status !== 0 && 'mariadb-server',
  ].filter(Boolean);
  return lacking.length ? lacking.join(', ') : undefined;
}

/**
 * Installs the Debian packages when they are absent and this process may (root, apt-get); returns why the WordPress
 * tests cannot run, or undefined when they can.
 */
export function ensureWordPress(): string | undefined {
  const missing = wordpressMissing();
  if (!missing) return undefined;
  const why = `Debian packages absent (${missing})`;
  if (process.getuid?.() !== 0) return `${why} and not root to install them: apt-get install ${APT_PACKAGES.join(' ')}`;
  const apt = (...args: string[]) =>
    spawnSync('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8', timeout: 600_000 });
  let r = apt('install', '-y', ...APT_PACKAGES);
  if (r.status !== 0) r = (apt('update'), apt('install', '-y', ...APT_PACKAGES));
  if (r.status !== 0) return `${why} and apt-get could not install them: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  const still = wordpressMissing();
  return still ? `Debian packages still absent after apt-get install: ${still}` : undefined;
}
