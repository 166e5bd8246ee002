/**
 * Who holds an outbox lease: `<host name>:<pid>:<random>`, unique per worker. A lease of a process on this host
 * that is no longer running is reclaimed at once; any other lease only when it lapses.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A new lease owner id for one worker.
 * @param host - the host name (default: this machine's)
 * @param pid - the process id (default: this process's)
 */
export function newLeaseOwner(host: string = hostname(), pid: number = process.pid): string {
  return `${host}:${pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * The host name and pid of a lease owner id, or null when it is not one.
 * @param owner - a lease owner id
 */
export function parseLeaseOwner(owner: string): { readonly host: string; readonly pid: number } | null {
  const match = /^(.+):(\d+):[0-9a-f]+$/.exec(owner);
  if (!match?.[1] || !match[2]) return null;
  const pid = Number(match[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? { host: match[1], pid } : null;
}

/**
 * Whether a process of this host with this pid runs (signal 0 probes without signalling; EPERM means it runs
 * under another user).
 * @param pid - the process id
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when the lease owner is a process of this host that no longer runs: its lease can be taken over at once.
 * A reused pid looks alive, so that lease waits for its time to lapse (never the other way round).
 * @param owner - the lease owner id
 * @param host - this host's name
 * @param runs - whether a pid runs here
 */
export function isDeadLocalOwner(
  owner: string,
  host: string = hostname(),
  runs: (pid: number) => boolean = processRuns,
): boolean {
  const parsed = parseLeaseOwner(owner);
  return parsed !== null && parsed.host === host && !runs(parsed.pid);
}
