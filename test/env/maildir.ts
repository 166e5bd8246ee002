import * as fs from 'node:fs';
import * as path from 'node:path';

/** One message to seed: raw RFC 5322 bytes; `mtime` becomes INTERNALDATE; `seen` sets \Seen. */
export interface SeedMessage {
  raw: Buffer;
  mtime?: Date;
  seen?: boolean;
}

/**
 * The Maildirs under Dovecot's mail root (`<root>/<domain>/<local part>/Maildir`), written directly as the mail
 * user (uid/gid), so tests can seed mail without a delivery agent.
 */
export class Maildirs {
  private sequence = 0;

  constructor(
    readonly root: string,
    private readonly uid: number,
    private readonly gid: number,
  ) {}

  /** Home directory of a mailbox (Maildir under it). */
  home(user: string): string {
    const address = String(user).toLowerCase();
    const at = address.lastIndexOf('@');
    return at === -1
      ? path.join(this.root, address)
      : path.join(this.root, address.slice(at + 1), address.slice(0, at));
  }

  private maildir(user: string): string {
    return path.join(this.home(user), 'Maildir');
  }

  /** The Maildir++ folder: INBOX is the Maildir itself, `a/b` is `.a.b`. */
  private folderDir(user: string, folder: string): string {
    const maildir = this.maildir(user);
    return folder.toUpperCase() === 'INBOX' ? maildir : path.join(maildir, `.${folder.replace(/\//g, '.')}`);
  }

  private makeDir(dir: string): void {
    if (fs.existsSync(dir)) return;
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chownSync(dir, this.uid, this.gid);
  }

  /** Creates the folder (and the home and Maildir above it) if missing; returns its directory. */
  ensure(user: string, folder: string): string {
    const home = this.home(user);
    this.makeDir(path.dirname(home));
    this.makeDir(home);
    const maildir = this.maildir(user);
    const target = this.folderDir(user, folder);
    for (const dir of [maildir, target]) for (const sub of ['', 'cur', 'new', 'tmp']) this.makeDir(path.join(dir, sub));
    const marker = path.join(target, 'maildirfolder');
    if (target !== maildir && !fs.existsSync(marker)) {
      fs.writeFileSync(marker, '');
      fs.chownSync(marker, this.uid, this.gid);
    }
    return target;
  }

  /** Writes the messages into `cur/` in the order given (Dovecot assigns UIDs in that order). */
  write(user: string, folder: string, messages: ReadonlyArray<Buffer | SeedMessage>): void {
    if (!Array.isArray(messages)) throw new Error('seed: messages must be an array');
    const target = this.ensure(user, folder);
    const now = Math.floor(Date.now() / 1000);
    for (const message of messages) {
      const raw = Buffer.isBuffer(message) ? message : (message as SeedMessage | null)?.raw;
      if (!Buffer.isBuffer(raw)) throw new Error('seed: each message must be a Buffer or {raw: Buffer, mtime?: Date}');
      this.sequence += 1;
      const details: Partial<SeedMessage> = Buffer.isBuffer(message) ? {} : message;
      const flags = details.seen ? 'S' : '';
      const name = `${now}.M${String(this.sequence).padStart(8, '0')}P${process.pid}.oauth2-mail-test:2,${flags}`;
      // Written in tmp/ and renamed into cur/ (the Maildir way): a Dovecot session open on the folder never sees
      // a half-written file when mail is seeded while it runs.
      const draft = path.join(target, 'tmp', name);
      fs.writeFileSync(draft, raw, { mode: 0o600 });
      fs.chownSync(draft, this.uid, this.gid);
      const mtime = details.mtime instanceof Date ? details.mtime : new Date();
      fs.utimesSync(draft, mtime, mtime);
      fs.renameSync(draft, path.join(target, 'cur', name));
    }
  }

  /**
   * Removes the folder's UID list and indexes (and the mailbox list index), so Dovecot re-creates the folder with
   * a new UIDVALIDITY; also the messages unless `keepMessages`.
   */
  forgetUids(user: string, folder: string, keepMessages: boolean): void {
    const target = this.ensure(user, folder);
    const maildir = this.maildir(user);
    const isListIndex = (f: string) => f.startsWith('dovecot.list.index');
    const isIndex = (f: string) => f === 'dovecot-uidlist' || f.startsWith('dovecot.index') || isListIndex(f);
    for (const f of fs.readdirSync(target).filter(isIndex)) fs.rmSync(path.join(target, f), { force: true });
    if (target !== maildir) {
      for (const f of fs.readdirSync(maildir).filter(isListIndex)) fs.rmSync(path.join(maildir, f), { force: true });
    }
    if (!keepMessages) {
      for (const sub of ['cur', 'new'])
        for (const f of fs.readdirSync(path.join(target, sub))) fs.rmSync(path.join(target, sub, f), { force: true });
    }
  }
}
