// startDovecot: a private Dovecot instance (IMAP, POP3, submission) that accepts the test OAuth server's tokens.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dovecotConfig, oauthPassdbConfig, type DovecotParams, type DovecotPorts } from './dovecot-config';
import { forgetAtExit, killAtExit } from './live-processes';
import { freePorts, waitForImapGreeting } from './local-ports';
import { Maildirs, type SeedMessage } from './maildir';
import type { OAuthServerHandle } from './oauth-server-process';
import { SHARED_MAILBOX } from './users';

/** The exact command that installs Dovecot; also the message of the Error thrown when it is missing. */
export const INSTALL_DOVECOT = 'apt-get install -y dovecot-imapd dovecot-pop3d dovecot-submissiond';

/** Mailbox status as Dovecot reports it. */
export interface MailboxStatus {
  messages: number;
  uidNext: number;
  uidValidity: number;
}

export interface StartDovecotOptions {
  dir: string;
  /** The OAuth server whose tokens Dovecot accepts (introspection) and whose CA signs Dovecot's certificate. */
  oauth: OAuthServerHandle;
  /** Mailboxes to create up front (default: every oauth user's email + SHARED_MAILBOX); any address works anyway. */
  users?: string[];
  /** Port of an SMTP relay for submission (default: a port nothing listens on). */
  submissionRelayPort?: number;
  submissionRelayHost?: string;
}

/** A private Dovecot (2.3) on 127.0.0.1: passdb oauth2 (XOAUTH2 + OAUTHBEARER) by introspection, auth cache off, no auth penalty. */
export interface DovecotHandle {
  host: '127.0.0.1';
  /** imap/pop3 cleartext (127.0.0.1 counts as secure), imaps/pop3s implicit TLS, submission (STARTTLS) and submissions (TLS). */
  ports: DovecotPorts;
  caCertFile: string;
  caCertPem: string;
  confFile: string;
  logFile: string;
  mailRoot: string;
  baseDir: string;
  /** Home directory of a mailbox (Maildir under it). */
  mailHome(user: string): string;
  /** Writes Maildir files (UIDs in the order given) and lets Dovecot index them. */
  seed(user: string, messages: Array<Buffer | SeedMessage>, folder?: string): Promise<MailboxStatus>;
  status(user: string, folder?: string): Promise<MailboxStatus>;
  /** Drops UIDs and indexes so the mailbox gets a new UIDVALIDITY (messages kept unless keepMessages is false; UIDs restart at 1). */
  recreateMailbox(user: string, folder?: string, options?: { keepMessages?: boolean }): Promise<MailboxStatus>;
  /** Idempotent; the mail stays in `dir`. */
  stop(): Promise<void>;
  /** Same ports, same mail. */
  restart(): Promise<void>;
  /** Stops the server but keeps its files and ports: nothing listens until {@link DovecotHandle.restart}. */
  halt(): Promise<void>;
}

function findExecutable(name: string): string | null {
  const dirs = [...String(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

/** @throws Error(INSTALL_DOVECOT) when Dovecot is not installed */
function dovecotExecutables(): { dovecotBin: string; doveadmBin: string } {
  const dovecotBin = findExecutable('dovecot');
  const doveadmBin = findExecutable('doveadm');
  if (!dovecotBin || !doveadmBin) throw new Error(INSTALL_DOVECOT);
  return { dovecotBin, doveadmBin };
}

/** True when every folder from / down to `dir` lets other users pass (o+x). */
function traversableByOthers(dir: string): boolean {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if ((fs.statSync(current).mode & 0o001) === 0) return false;
    if (path.dirname(current) === current) return true;
  }
}

function killQuietly(pid: number | null): void {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

const logTail = (file: string) =>
  fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '';

/** Starts Dovecot; throws Error(INSTALL_DOVECOT) if the binary is missing. */
export async function startDovecot(options: StartDovecotOptions): Promise<DovecotHandle> {
  const { dir, oauth } = options ?? {};
  if (!dir) throw new Error('startDovecot: dir is required');
  if (!oauth?.introspectionClient) throw new Error('startDovecot: oauth (a startOAuthServer handle) is required');
  const { dovecotBin, doveadmBin } = dovecotExecutables();

  const isRoot = process.getuid?.() === 0;
  const uid = isRoot ? 65534 : process.getuid!();
  const gid = isRoot ? 65534 : process.getgid!();
  const me = os.userInfo().username;

  const root = path.resolve(dir);
  fs.mkdirSync(root, { recursive: true });
  // mail_uid must reach the mail under the test's directory.
  fs.chmodSync(root, 0o755);
  // A checkout under a private folder (/root, a mktemp -d) hides `dir` from Dovecot's unprivileged users:
  // then its files live in a fresh traversable folder under /tmp instead, removed at stop.
  const ownFolder = isRoot && !traversableByOthers(root) ? fs.mkdtempSync('/tmp/o2m-dvh-') : null;
  if (ownFolder) fs.chmodSync(ownFolder, 0o755);
  const dvDir = path.join(ownFolder ?? root, `dovecot-${crypto.randomBytes(3).toString('hex')}`);
  fs.mkdirSync(dvDir, { recursive: true, mode: 0o755 });
  const caCertFile = ownFolder ? path.join(dvDir, 'ca.crt') : oauth.caCertFile;
  if (ownFolder) fs.copyFileSync(oauth.caCertFile, caCertFile);
  const mailRoot = path.join(dvDir, 'mail');
  fs.mkdirSync(mailRoot, { recursive: true, mode: 0o755 });
  fs.chownSync(mailRoot, uid, gid);
  const stateDir = path.join(dvDir, 'state');
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o755 });
  // Unix sockets live in base_dir: keep it short (< 108 chars per socket path).
  const baseDir = fs.mkdtempSync('/tmp/o2m-dv-');
  fs.chmodSync(baseDir, 0o755);
  const [imap, imaps, pop3, pop3s, submission, submissions, spare] = await freePorts(7);
  const ports = { imap, imaps, pop3, pop3s, submission, submissions };
  const params: DovecotParams = {
    baseDir,
    stateDir,
    instanceName: path.basename(baseDir),
    logFile: path.join(dvDir, 'dovecot.log'),
    internalUser: isRoot ? 'dovecot' : me,
    loginUser: isRoot ? 'dovenull' : me,
    certFile: oauth.serverCertFile,
    keyFile: oauth.serverKeyFile,
    caCertFile,
    oauthConfFile: path.join(dvDir, 'dovecot-oauth2.conf.ext'),
    delegateConfFile: path.join(dvDir, 'dovecot-oauth2-delegate.conf.ext'),
    uid,
    gid,
    mailRoot,
    ports,
    relayHost: options.submissionRelayHost ?? '127.0.0.1',
    // Nothing listens on the spare port unless the test brings a relay.
    relayPort: options.submissionRelayPort ?? spare,
  };
  const confFile = path.join(dvDir, 'dovecot.conf');
  fs.writeFileSync(params.oauthConfFile, oauthPassdbConfig(oauth, params, 'email'), { mode: 0o600 });
  fs.writeFileSync(params.delegateConfFile, oauthPassdbConfig(oauth, params, 'delegate_of'), { mode: 0o600 });
  fs.writeFileSync(confFile, dovecotConfig(params), { mode: 0o644 });
  const maildirs = new Maildirs(mailRoot, uid, gid);

  function doveadm(args: readonly string[]): string {
    try {
      return execFileSync(doveadmBin, ['-c', confFile, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const err = error as Error & { stderr?: string };
      throw new Error(`doveadm ${args.join(' ')} failed: ${String(err.stderr ?? err.message).trim()}`);
    }
  }

  function mailboxStatus(user: string, folder: string): MailboxStatus {
    const out = doveadm(['-f', 'flow', 'mailbox', 'status', '-u', user, 'messages uidnext uidvalidity', folder]);
    const status: Partial<Record<'messages' | 'uidnext' | 'uidvalidity', number>> = {};
    for (const m of out.matchAll(/(messages|uidnext|uidvalidity)=(\d+)/g))
      status[m[1] as 'messages' | 'uidnext' | 'uidvalidity'] = Number(m[2]);
    if (status.messages === undefined)
      throw new Error(`doveadm mailbox status gave no status for ${user} ${folder}: ${out.trim()}`);
    return { messages: status.messages, uidNext: status.uidnext!, uidValidity: status.uidvalidity! };
  }

  let running: { proc: ChildProcess; masterPid: number | null; exited: Promise<void> } | null = null;
  let stopping: Promise<void> | null = null;
  let stopped = false;

  function readMasterPid(): number | null {
    try {
      return Number(fs.readFileSync(path.join(baseDir, 'master.pid'), 'utf8').trim()) || null;
    } catch {
      return null;
    }
  }

  async function launch(): Promise<void> {
    fs.rmSync(baseDir, { recursive: true, force: true });
    fs.mkdirSync(baseDir, { mode: 0o755 });
    // The shell keeps our stdin: when this process dies (even by SIGKILL), `cat` ends, Dovecot is
    // stopped and its base_dir removed.
    const script =
      '"$1" -F -c "$2" & pid=$!; cat >/dev/null; kill -TERM "$pid" 2>/dev/null; wait "$pid"; rm -rf "$3" "$4"';
    const proc = spawn(
      '/bin/sh',
      ['-c', script, 'dovecot-watchdog', dovecotBin, confFile, baseDir, ownFolder ?? baseDir],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    // Never keeps jest alive; the stdin pipe still stops Dovecot with us.
    proc.unref();
    (proc.stdin as unknown as { unref(): void }).unref();
    (proc.stderr as unknown as { unref(): void }).unref();
    killAtExit(proc.pid);
    const exited = new Promise<void>((resolve) =>
      proc.once('exit', () => {
        forgetAtExit(proc.pid);
        resolve();
      }),
    );
    try {
      await Promise.race([
        waitForImapGreeting(ports.imap, 15000),
        exited.then(() => {
          throw new Error(`Dovecot exited during start-up: ${stderr.trim() || 'see log'}`);
        }),
      ]);
    } catch (error) {
      proc.kill('SIGKILL');
      killQuietly(readMasterPid());
      const tail = logTail(params.logFile);
      throw new Error(`${(error as Error).message}${tail ? `\n--- ${params.logFile} ---\n${tail}` : ''}`);
    }
    const masterPid = readMasterPid();
    if (masterPid) killAtExit(masterPid);
    running = { proc, masterPid, exited };
  }

  async function halt(): Promise<void> {
    if (!running) return;
    const { proc, masterPid, exited } = running;
    running = null;
    proc.stdin?.end();
    const timer = setTimeout(() => {
      killQuietly(masterPid);
      proc.kill('SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(timer);
    if (masterPid) forgetAtExit(masterPid);
  }

  await launch();

  const handle: DovecotHandle = {
    host: '127.0.0.1',
    ports,
    caCertFile: oauth.caCertFile,
    caCertPem: oauth.caCertPem,
    confFile,
    logFile: params.logFile,
    mailRoot,
    baseDir,
    mailHome: (user) => maildirs.home(user),
    async seed(user, messages, folder = 'INBOX') {
      maildirs.write(user, folder, messages);
      return mailboxStatus(user, folder);
    },
    async status(user, folder = 'INBOX') {
      return mailboxStatus(user, folder);
    },
    async recreateMailbox(user, folder = 'INBOX', recreateOptions = {}) {
      maildirs.ensure(user, folder);
      const before = mailboxStatus(user, folder);
      maildirs.forgetUids(user, folder, recreateOptions.keepMessages !== false);
      const after = mailboxStatus(user, folder);
      if (after.uidValidity === before.uidValidity)
        throw new Error(`recreateMailbox: UIDVALIDITY of ${user} ${folder} did not change (${after.uidValidity})`);
      return after;
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        await halt();
        fs.rmSync(baseDir, { recursive: true, force: true });
        if (ownFolder) fs.rmSync(ownFolder, { recursive: true, force: true });
      })();
      return stopping;
    },
    async halt() {
      if (stopped) throw new Error('halt: this Dovecot was stopped for good');
      await halt();
    },
    async restart() {
      if (stopped) throw new Error('restart: this Dovecot was stopped for good');
      await halt();
      await launch();
    },
  };

  for (const user of options.users ?? [...(oauth.users ?? []).map((u) => u.email), SHARED_MAILBOX])
    maildirs.ensure(user, 'INBOX');
  return handle;
}
