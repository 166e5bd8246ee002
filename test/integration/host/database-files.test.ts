/**
 * The reference host's SQLite database holds raw mail, password hashes and session CSRF tokens: it creates the file,
 * its -wal and -shm, and the folder private to its user (0600 / 0700), and says so, in the log and on the console,
 * when an existing file or folder is more open (it does not change modes it did not set).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { HostApp } from '../../../host/host-app';
import { createLogger } from '../../../host/logger';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'o2m-db-files-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

async function open(db: string): Promise<{ host: HostApp; logged: string[]; console: string[] }> {
  const logged: string[] = [];
  const consoleLines: string[] = [];
  const destination = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      logged.push(chunk.toString());
      done();
    },
  });
  const host = await HostApp.open({
    db,
    env: { OAUTH2_MAIL_SECRET_KEY: randomBytes(32).toString('base64') },
    logger: createLogger({ level: 'info', destination }),
    announce: (line) => consoleLines.push(line),
    warn: (line) => consoleLines.push(line),
  });
  // A write, so that SQLite has its -wal and -shm files.
  await host.users.create({ email: 'someone@example.test', role: 'agent', password: 'a password 1234' });
  return { host, logged, console: consoleLines };
}

describe('database files', () => {
  it('creates the folder 0700 and the database, its -wal and -shm 0600, and warns about nothing', async () => {
    const db = join(dir, 'data', 'nested', 'helpdesk.sqlite');
    const { host, logged, console: lines } = await open(db);
    try {
      expect(existsSync(`${db}-wal`)).toBe(true);
      expect(existsSync(`${db}-shm`)).toBe(true);
      expect([mode(join(dir, 'data')), mode(join(dir, 'data', 'nested'))]).toEqual(['700', '700']);
      expect([mode(db), mode(`${db}-wal`), mode(`${db}-shm`)]).toEqual(['600', '600', '600']);
      expect(lines.join('\n')).not.toMatch(/readable by other users/);
      expect(logged.join('')).not.toMatch(/readable by other users/);
    } finally {
      await host.stop();
    }
  });

  it('warns, in the log and on the console, about an existing 0644 file in a 0755 folder, and leaves their modes', async () => {
    const folder = join(dir, 'open');
    mkdirSync(folder);
    chmodSync(folder, 0o755);
    const db = join(folder, 'helpdesk.sqlite');
    writeFileSync(db, '');
    chmodSync(db, 0o644);
    const { host, logged, console: lines } = await open(db);
    try {
      const text = lines.join('\n');
      expect(text).toContain(`${db} is readable by other users (mode 644): run chmod 600 ${db}`);
      expect(text).toContain(`${folder} is readable by other users (mode 755): run chmod 700 ${folder}`);
      const warnings = logged.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.level === 40);
      expect(warnings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ msg: 'database file readable by other users', path: db, mode: '644' }),
          expect.objectContaining({ msg: 'database folder readable by other users', path: folder, mode: '755' }),
        ]),
      );
      expect([mode(folder), mode(db)]).toEqual(['755', '644']);
    } finally {
      await host.stop();
    }
  });
});
