/**
 * Connect with a code (device flow) in the OAuth core with fakes: the poll keeps the provider's interval and adds
 * 5 s after each slow_down, stops at approval (then the identity check, then storage), at denial or expiry (nothing
 * stored), and the device code never shows in a view, an event or a log line.
 */
import { PluginError } from '../../../plugin/errors';
import type { DeviceAuthorization, TokenSet } from '../../../plugin/ports/oauth-client';
import { createWorld, seedMicrosoftAccount, type World } from './world';

const HOUR = 3_600_000;

function authorization(overrides: Partial<DeviceAuthorization> = {}): DeviceAuthorization {
  return {
    deviceCode: 'DEVICE-CODE-SECRET-7f3a',
    userCode: 'ABCD-EFGH',
    verificationUri: 'https://microsoft.com/devicelogin',
    verificationUriComplete: null,
    expiresInSeconds: 900,
    intervalSeconds: 5,
    message: 'To sign in, use a web browser …',
    ...overrides,
  };
}

function tokens(world: World): TokenSet {
  return {
    accessToken: 'access-device',
    refreshToken: 'refresh-device',
    expiresAt: world.clock.now() + HOUR,
    scope: 'mail',
    idToken: null,
    tokenType: 'Bearer',
  };
}

async function started(world: World, script: Array<'pending' | 'slow_down' | 'tokens' | PluginError>) {
  const { accountId } = await seedMicrosoftAccount(world);
  world.oauth.onDeviceStart = async () => authorization();
  world.oauth.onDevicePoll = async (call) => {
    const step = script[call - 1] ?? 'pending';
    if (step instanceof PluginError) throw step;
    return step === 'tokens' ? { status: 'tokens', tokens: tokens(world) } : { status: step };
  };
  const view = await world.services.accounts.connectWithCode(accountId, 'admin-1');
  return { accountId, view };
}

describe('device sign-in', () => {
  it('shows the code and where to enter it, polls at the interval (+5 s after slow_down) and stores the grant once the mailbox login proves it', async () => {
    const world = createWorld();
    world.mailboxAccess.add('support@contoso.com|access-device');
    const { accountId, view } = await started(world, ['pending', 'slow_down', 'pending', 'tokens']);
    expect(view).toMatchObject({
      state: 'pending',
      userCode: 'ABCD-EFGH',
      verificationUri: 'https://microsoft.com/devicelogin',
      intervalSeconds: 5,
      expiresAt: expect.any(Number),
    });
    expect(world.oauth.deviceStartCalls).toEqual([
      {
        scope: 'openid profile email offline_access https://outlook.office.com/IMAP.AccessAsUser.All',
        url: 'https://login.microsoftonline.com/contoso.com/oauth2/v2.0/devicecode',
      },
    ]);
    const result = await world.services.accounts.waitForDeviceSignIn(accountId);
    expect(result).toMatchObject({ accountId, mailbox: 'support@contoso.com' });
    expect(world.deviceSleeps).toEqual([5000, 5000, 10_000, 10_000]);
    expect(world.oauth.devicePollCalls.every((c) => c.deviceCode === 'DEVICE-CODE-SECRET-7f3a')).toBe(true);
    expect(await world.tokens.find(accountId)).toMatchObject({ refreshToken: 'refresh-device' });
    expect(world.services.accounts.deviceSignIn(accountId)).toMatchObject({ state: 'connected', intervalSeconds: 10 });
    expect((await world.accounts.find(accountId))?.status).toBe('connected');
    const seen = JSON.stringify([view, world.services.accounts.deviceSignIn(accountId), world.events, world.logger]);
    expect(seen).not.toContain('DEVICE-CODE-SECRET');
  });

  it('denied or expired: the error, nothing stored; an identity that cannot open the mailbox stores nothing either', async () => {
    const denied = createWorld();
    const declined = new PluginError('ERR_AUTHORIZATION_DENIED', 'The token endpoint answered HTTP 400.', {
      providerError: 'authorization_declined',
    });
    const a = await started(denied, ['pending', declined]);
    await expect(denied.services.accounts.waitForDeviceSignIn(a.accountId)).rejects.toMatchObject({
      code: 'ERR_AUTHORIZATION_DENIED',
    });
    expect(await denied.tokens.find(a.accountId)).toBeNull();
    expect(denied.services.accounts.deviceSignIn(a.accountId)).toMatchObject({
      state: 'failed',
      error: { code: 'ERR_AUTHORIZATION_DENIED' },
    });

    const expired = createWorld();
    const b = await started(expired, []);
    await expect(expired.services.accounts.waitForDeviceSignIn(b.accountId)).rejects.toMatchObject({
      code: 'ERR_DEVICE_CODE_EXPIRED',
    });
    expect(expired.oauth.devicePollCalls.length).toBe(179);
    expect(expired.events.types(b.accountId)).toContain('auth_failed');

    const stranger = createWorld();
    const c = await started(stranger, ['tokens']);
    await expect(stranger.services.accounts.waitForDeviceSignIn(c.accountId)).rejects.toMatchObject({
      code: 'ERR_IDENTITY_MISMATCH',
    });
    expect(await stranger.tokens.find(c.accountId)).toBeNull();
  });

  it('a token-endpoint outage is not the answer: the poll goes on', async () => {
    const world = createWorld();
    world.mailboxAccess.add('support@contoso.com|access-device');
    const outage = new PluginError('ERR_PROVIDER_UNAVAILABLE', 'The token endpoint answered HTTP 503.', {});
    const { accountId } = await started(world, [outage, 'pending', 'tokens']);
    await expect(world.services.accounts.waitForDeviceSignIn(accountId)).resolves.toMatchObject({ accountId });
    expect(world.oauth.devicePollCalls).toHaveLength(3);
  });
});
