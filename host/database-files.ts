/**
 * The SQLite database holds raw mail, password hashes and session CSRF tokens, so the reference host creates it
 * private to its user: the folder 0700 and the file 0600 before SQLite opens it (SQLite gives the -wal and -shm
 * files the database file's mode). Modes it did not set are left alone, but one more open than that is reported.
 */
import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A database file or folder that others may read. */
export interface OpenDatabasePath {
  readonly kind: 'file' | 'folder';
  readonly path: string;
  /** Octal, e.g. `644`. */
  readonly mode: string;
  /** What to run about it. */
  readonly fix: string;
}

const OTHERS = 0o077;

/**
 * Creates the folder (0700, with any missing parents) and the empty database file (0600) when they are missing, and
 * lists the existing folder, file, -wal and -shm that group or others may use.
 * @param file - the SQLite file
 * @returns the paths more open than 0700 / 0600
 */
export function prepareSqliteFile(file: string): OpenDatabasePath[] {
  const path = resolve(file);
  const folder = dirname(path);
  if (!existsSync(folder)) mkdirSync(folder, { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const open: OpenDatabasePath[] = [];
  const check = (kind: OpenDatabasePath['kind'], target: string, wanted: string) => {
    if (!existsSync(target)) return;
    const mode = statSync(target).mode & 0o777;
    if ((mode & OTHERS) !== 0)
      open.push({ kind, path: target, mode: mode.toString(8), fix: `chmod ${wanted} ${target}` });
  };
  check('folder', folder, '700');
  for (const target of [path, `${path}-wal`, `${path}-shm`]) check('file', target, '600');
  return open;
}
