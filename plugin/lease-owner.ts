/**
 * Who holds a lease (an account's poll lease, a token's refresh lease): one id per holder in this process, naming
 * the host and the process, so that a process restarted on the same host can tell its dead predecessor's leases
 * from those of a process that still runs.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Every id this process issued: a lease with this host and pid but another id is a dead predecessor's (pid reuse).
 * Kept on the global object so that a plugin loaded twice into one process (a reinstall) shares it.
 */
const issuedHere: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('oauth2-mail.lease-owners')] ??=
  new Set<string>()) as Set<string>;

/** The parts of a lease owner id. */
export interface LeaseOwner {
  readonly host: string;
  readonly pid: number;
}

/**
 * A new lease owner id, `<hostname>:<pid>:<random>`: unique across hosts, processes and holders in one process,
 * and readable in the database when an operator wonders who holds a lease.
 */
export function newLeaseOwnerId(): string {
  const id = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  issuedHere.add(id);
  return id;
}

/** The host and pid a lease owner id names, or null for an id of another form (ids are read from the right). */
export function parseLeaseOwnerId(owner: string): LeaseOwner | null {
  const match = /^(.+):(\d{1,10}):[0-9a-f]+$/.exec(owner);
  if (!match) return null;
  const pid = Number(match[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? { host: match[1]!, pid } : null;
}

/** True when `owner` is an id this process issued. */
export function isLeaseOwnerOfThisProcess(owner: string): boolean {
  return issuedHere.has(owner);
}

/**
 * Whether a process with this pid exists on this machine (signal 0 checks without sending anything). EPERM means it
 * exists under another user; only ESRCH says it is gone.
 */
export function processExists(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * True when `owner` is known to be dead: its id names this host and either a pid that no longer exists, or this
 * very pid with an id this process never issued (the pid was reused, as a container restarted with the same pid
 * is). An id of another form, of another host, or of a process that exists is not known to be dead.
 * @param owner - the lease owner id found in the database
 * @param exists - whether a pid exists here (a seam for tests)
 */
export function leaseOwnerIsGone(owner: string, exists: (pid: number) => boolean = processExists): boolean {
  const parsed = parseLeaseOwnerId(owner);
  if (!parsed || parsed.host !== hostname()) return false;
  if (parsed.pid === process.pid) return !issuedHere.has(owner);
  return !exists(parsed.pid);
}
