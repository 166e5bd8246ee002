import type { LookupAddress } from 'node:dns';
import { guardedLookup, RefusedAddressError, type ResolveAll } from '../../../lib/net/guarded-lookup';

/** A resolver that answers every name with `addresses`, counting its calls. */
function resolverOf(...addresses: string[]): ResolveAll & { calls: number } {
  const resolve = ((_name, _options, callback) => {
    resolve.calls += 1;
    callback(
      null,
      addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  }) as ResolveAll & { calls: number };
  resolve.calls = 0;
  return resolve;
}

function lookup(
  allowPrivateNetworks: boolean,
  resolve: ResolveAll,
  name = 'mail.example.test',
  all = false,
): Promise<{ error: Error | null; address: unknown }> {
  return new Promise((done) =>
    guardedLookup({ allowPrivateNetworks }, resolve)(name, { all }, (error, address) => done({ error, address })),
  );
}

describe('guarded lookup', () => {
  it('hands out a public or loopback answer as the socket asked for it (one address or all)', async () => {
    expect(await lookup(false, resolverOf('93.184.216.34'))).toEqual({ error: null, address: '93.184.216.34' });
    expect(await lookup(false, resolverOf('127.0.0.1'))).toEqual({ error: null, address: '127.0.0.1' });
    expect((await lookup(false, resolverOf('2001:db8::1', '93.184.216.34'), undefined, true)).address).toEqual([
      { address: '2001:db8::1', family: 6 },
      { address: '93.184.216.34', family: 4 },
    ]);
  });

  it.each([
    ['169.254.169.254', 'a cloud metadata service'],
    ['169.254.10.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['::ffff:169.254.169.254', 'a cloud metadata service'],
    ['0.0.0.0', 'unspecified'],
  ])('refuses a name resolving to %s, whatever allowPrivateNetworks says', async (address, why) => {
    for (const allow of [false, true]) {
      const { error } = await lookup(allow, resolverOf(address));
      expect(error).toBeInstanceOf(RefusedAddressError);
      expect(error!.message).toContain(`mail.example.test resolves to ${address}, which is`);
      expect(error!.message).toContain(why);
      expect((error as RefusedAddressError).code).toBe('O2M_REFUSED_ADDRESS');
    }
  });

  it('refuses a private answer unless allowPrivateNetworks, and a name with one private answer among public ones', async () => {
    for (const address of ['10.0.0.7', '172.20.1.1', '192.168.0.2', '100.64.1.1', 'fd00::5']) {
      expect((await lookup(false, resolverOf(address))).error).toBeInstanceOf(RefusedAddressError);
      expect(await lookup(true, resolverOf(address))).toEqual({ error: null, address });
    }
    expect((await lookup(false, resolverOf('93.184.216.34', '10.0.0.7'))).error).toBeInstanceOf(RefusedAddressError);
  });

  it('refuses a metadata host name without asking DNS', async () => {
    const resolve = resolverOf('93.184.216.34');
    const { error } = await lookup(true, resolve, 'metadata.google.internal');
    expect(error).toBeInstanceOf(RefusedAddressError);
    expect(resolve.calls).toBe(0);
  });
});
