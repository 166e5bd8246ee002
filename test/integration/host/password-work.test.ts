/**
 * Which e-mail addresses exist must not show in the time a sign-in takes: a known and an unknown address (and an
 * unreadable stored hash) cost the same work, one scrypt derivation with the same parameters. Counted, not timed.
 */
import type * as NodeCrypto from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { verifyPassword } from '../../../host/auth/passwords';
import { UserStore } from '../../../host/auth/user-store';
import { createKnex } from '../../../host/create-knex';
import { migrateHost } from '../../../host/host-migrations';

const PASSWORD = 'the right password 1';

let dir: string;
let knex: Knex;
let users: UserStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'o2m-password-work-'));
  knex = createKnex(join(dir, 'helpdesk.sqlite'));
  await migrateHost(knex);
  users = new UserStore(knex);
  await users.create({ email: 'known@example.test', role: 'admin', password: PASSWORD });
});

afterAll(async () => {
  await knex?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** The scrypt derivations `action` runs: how many, and with which cost parameters and key length. */
async function derivations(action: () => Promise<unknown>): Promise<string[]> {
  // The module object itself (a namespace import is a frozen copy): what host/auth/passwords.ts calls through.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const spy = jest.spyOn(require('node:crypto') as typeof NodeCrypto, 'scrypt');
  try {
    await action();
    return spy.mock.calls.map((call) => {
      const [, , keyLength, options] = call as unknown as [unknown, unknown, number, ScryptOptions];
      return `N=${options.N ?? options.cost} r=${options.r ?? options.blockSize} p=${options.p ?? options.parallelization} len=${keyLength}`;
    });
  } finally {
    spy.mockRestore();
  }
}

describe('sign-in work', () => {
  it('derives once for a known address with the right and with a wrong password', async () => {
    const right = await derivations(() => users.authenticate('known@example.test', PASSWORD));
    const wrong = await derivations(() => users.authenticate('known@example.test', 'a wrong password'));
    expect(right).toEqual(['N=16384 r=8 p=1 len=64']);
    expect(wrong).toEqual(right);
  });

  it('derives once, with the same parameters, for an unknown address', async () => {
    const known = await derivations(() => users.authenticate('known@example.test', 'a wrong password'));
    const unknown = await derivations(() => users.authenticate('nobody@example.test', 'a wrong password'));
    expect(unknown).toEqual(known);
  });

  it('derives once for an unreadable stored hash too, and answers false', async () => {
    let ok: boolean | undefined;
    const work = await derivations(async () => {
      ok = await verifyPassword(PASSWORD, 'scrypt$16384$8$AAAAAAAAAAAAAAAAAAAAAA$AAAA');
    });
    expect(ok).toBe(false);
    expect(work).toEqual(['N=16384 r=8 p=1 len=64']);
  });
});
