import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import {
  isLeaseOwnerOfThisProcess,
  leaseOwnerIsGone,
  newLeaseOwnerId,
  parseLeaseOwnerId,
  processExists,
} from '../../plugin/lease-owner';

/** The pid of a process that ran and ended (a pid nobody has reused yet, almost surely). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

describe('lease owner ids', () => {
  it('name this host and process, and are told apart from ids of other processes', () => {
    const id = newLeaseOwnerId();
    expect(id).toMatch(new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${process.pid}:[0-9a-f]{8}$`));
    expect(parseLeaseOwnerId(id)).toEqual({ host: hostname(), pid: process.pid });
    expect(isLeaseOwnerOfThisProcess(id)).toBe(true);
    expect(newLeaseOwnerId()).not.toBe(id);
    expect(isLeaseOwnerOfThisProcess(`${hostname()}:${process.pid}:deadbeef`)).toBe(false);
  });

  it('parse from the right and refuse other forms', () => {
    expect(parseLeaseOwnerId('db-1.example:4242:0a1b2c3d')).toEqual({ host: 'db-1.example', pid: 4242 });
    expect(parseLeaseOwnerId('odd:host:name:17:ff')).toEqual({ host: 'odd:host:name', pid: 17 });
    for (const other of ['proc-a', 'test-process', 'host:0:ab', 'host:-3:ab', 'host:12:', ':12:ab', 'host:12:xyz'])
      expect(parseLeaseOwnerId(other)).toBeNull();
  });

  it('processExists: this process and its parent exist, an ended child does not, nonsense pids never', () => {
    expect(processExists(process.pid)).toBe(true);
    expect(processExists(process.ppid)).toBe(true);
    expect(processExists(deadPid())).toBe(false);
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(processExists(pid)).toBe(false);
  });

  it('a lease is known to be gone only on this host: an ended pid, or this pid under an id it never issued', () => {
    const here = hostname();
    expect(leaseOwnerIsGone(`${here}:${deadPid()}:0a1b2c3d`)).toBe(true);
    expect(leaseOwnerIsGone(`${here}:${process.ppid}:0a1b2c3d`)).toBe(false);
    // A container restarted with the same pid: the id is not one this process issued.
    expect(leaseOwnerIsGone(`${here}:${process.pid}:0a1b2c3d`)).toBe(true);
    expect(leaseOwnerIsGone(newLeaseOwnerId())).toBe(false);
    // Another machine, or an id of another form: never known to be gone, whatever the pid.
    expect(leaseOwnerIsGone(`not-${here}:${deadPid()}:0a1b2c3d`)).toBe(false);
    expect(leaseOwnerIsGone('proc-a', () => false)).toBe(false);
    const askedFor: number[] = [];
    expect(leaseOwnerIsGone(`${here}:4242:ab`, (pid) => (askedFor.push(pid), false))).toBe(true);
    expect(askedFor).toEqual([4242]);
  });
});
