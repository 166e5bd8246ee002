/** Who holds a lease (an account's poll lease, a token's refresh lease): one id per holder in this process. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A new lease owner id, `<hostname>:<pid>:<random>`: unique across hosts, processes and holders in one process,
 * and readable in the database when an operator wonders who holds a lease.
 */
export function newLeaseOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
