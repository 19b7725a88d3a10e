import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Folders and files Lifeline makes are its OS user's alone: they hold token hashes, webhook secrets and sign-in links. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** The process umask: whatever a library creates (PGlite's database files) is private too. */
export const PRIVATE_UMASK = 0o077;

/** Where the embedded database lives in the data directory. */
export function embeddedDatabaseDir(dataDir: string): string {
  return join(dataDir, 'pglite');
}

/**
 * Creates the data directory private to this user, or makes an existing one private, with what it
 * holds, when others could enter it (warning, so the operator knows something changed).
 */
export function prepareDataDir(dataDir: string, log: { warn(message: string): void }): void {
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const mode = statSync(dataDir).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    makeTreePrivate(dataDir);
    log.warn(
      `data directory ${dataDir} was open to other users (mode 0${mode.toString(8)}); changed it and everything in it to this user only (0${PRIVATE_DIR_MODE.toString(8)})`,
    );
  }
}

/**
 * Takes group and other permissions off everything under `root`. PGlite unpacks a new database
 * with world-writable files (0666, whatever the umask); the files PostgreSQL creates later follow
 * the umask.
 */
export function makeTreePrivate(root: string): void {
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const mode = lstatSync(path).mode;
    if (!entry.isSymbolicLink() && (mode & 0o077) !== 0) chmodSync(path, mode & 0o7700);
  }
  const mode = statSync(root).mode;
  if ((mode & 0o077) !== 0) chmodSync(root, mode & 0o7700);
}
