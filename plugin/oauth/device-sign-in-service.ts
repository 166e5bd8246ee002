/**
 * Connect with a code (RFC 8628 device authorization grant, docs/architecture.md#device-sign-in) for delegated
 * accounts whose helpdesk the provider cannot redirect back to: the provider hands out a user code, the admin (or
 * the mailbox's owner) enters it at the verification page on any device and signs in, and meanwhile the plugin polls
 * the token endpoint at the provider's interval (5 s more after each `slow_down`) until the sign-in is approved,
 * denied or expired. Then the same identity check as Connect runs before anything is stored.
 *
 * A sign-in lives in the memory of the process that started it: the device code is a credential (whoever holds it
 * gets the tokens once the user approves), so it is never written anywhere, and a sign-in lasts minutes. The
 * screen's page and the console's wait are served by that process; a restart ends the sign-in (start it again).
 */
import { findAccountWithApp } from './account-app';
import { PluginError, toPluginError, type PluginErrorCode } from '../errors';
import type { AccountRepository, MailAccount } from '../ports/account-repository';
import type { AppRegistration, AppRepository } from '../ports/app-repository';
import type { Clock } from '../ports/clock';
import type { LoggerPort } from '../ports/host';
import type { DeviceAuthorization, OAuthClient, TokenSet } from '../ports/oauth-client';
import type { TokenRepository } from '../ports/token-repository';
import type { AccountIncidents } from './account-incidents';
import type { AppIncidents } from './app-incidents';
import { authenticatedClientConfig } from './client-authentication';
import { explainCredentialError } from './credential-errors';
import { storeGrant, type ConnectResult } from './grant-storage';
import type { IdentityCheck } from './identity-check';
import { providerFor } from './providers';
import type { EndpointResolver, ResolvedEndpoints } from './providers/endpoint-resolver';
import { requestedScopes } from './scopes';

/** RFC 8628 §3.5: after `slow_down` the interval grows by 5 seconds for every later poll. */
const SLOW_DOWN_SECONDS = 5;
/** A sign-in never outlives this, whatever the provider says. */
const LONGEST_SIGN_IN_MS = 30 * 60 * 1000;

/** What the screen and the console show of a sign-in (never the device code). */
export interface DeviceSignInView {
  readonly accountId: string;
  readonly mailbox: string;
  readonly state: 'pending' | 'connected' | 'failed';
  readonly verificationUri: string;
  readonly verificationUriComplete: string | null;
  readonly userCode: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** The interval polled at now (seconds). */
  readonly intervalSeconds: number;
  /** The provider's instruction, if it sent one. */
  readonly message: string | null;
  readonly result: ConnectResult | null;
  readonly error: { readonly code: PluginErrorCode; readonly message: string } | null;
}

/** Dependencies of {@link DeviceSignInService}. */
export interface DeviceSignInServiceDeps {
  readonly accounts: AccountRepository;
  readonly apps: AppRepository;
  readonly tokens: TokenRepository;
  readonly oauthClient: OAuthClient;
  readonly endpoints: EndpointResolver;
  readonly identityCheck: Pick<IdentityCheck, 'verify'>;
  readonly incidents: AccountIncidents;
  readonly appIncidents: Pick<AppIncidents, 'recovered'>;
  readonly clock: Clock;
  readonly logger: LoggerPort;
  readonly onTokensReplaced?: (accountId: string) => void;
  /** Waits `ms` or until `signal` aborts (tests: a fake). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

interface SignIn {
  view: DeviceSignInView;
  readonly abort: AbortController;
  done: Promise<ConnectResult>;
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Runs device sign-ins, one per account at a time. */
export class DeviceSignInService {
  private readonly signIns = new Map<string, SignIn>();
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  /** @param deps - repositories, OAuth client, endpoint resolver, identity check, incidents, clock, logger */
  constructor(private readonly deps: DeviceSignInServiceDeps) {
    this.sleep = deps.sleep ?? sleepUnlessAborted;
  }

  /**
   * Starts a device sign-in for a delegated account (a running one of the account is cancelled) and polls in the
   * background.
   * @param actorId - the admin who started it (events)
   * @throws PluginError ERR_NOT_FOUND | ERR_INPUT_INVALID (not a delegated account) | ERR_PROVIDER_CONFIG (no device
   *   endpoint) | the device authorization endpoint's refusal
   */
  async start(accountId: string, actorId: string | null): Promise<DeviceSignInView> {
    const { account, app } = await findAccountWithApp(this.deps.accounts, this.deps.apps, accountId);
    if (account.authMode !== 'delegated')
      throw new PluginError(
        'ERR_INPUT_INVALID',
        `Mailbox ${account.mailbox} gets the app's own tokens (${account.authMode}): nobody signs in for it.`,
        { accountId, fields: ['authMode'] },
      );
    const resolved = await this.deps.endpoints.resolve(app);
    let authorization: DeviceAuthorization;
    try {
      const config = await authenticatedClientConfig(this.deps, app, resolved);
      authorization = await this.deps.oauthClient.startDeviceAuthorization(config, {
        scope: requestedScopes(app, account).join(' '),
      });
    } catch (thrown) {
      throw await this.recordFailure(account, this.classify(app, thrown), actorId);
    }
    this.cancel(accountId);
    const now = this.deps.clock.now();
    const expiresAt = now + Math.min(authorization.expiresInSeconds * 1000, LONGEST_SIGN_IN_MS);
    const abort = new AbortController();
    const signIn: SignIn = {
      abort,
      view: {
        accountId,
        mailbox: account.mailbox,
        state: 'pending',
        verificationUri: authorization.verificationUri,
        verificationUriComplete: authorization.verificationUriComplete,
        userCode: authorization.userCode,
        expiresAt,
        intervalSeconds: authorization.intervalSeconds,
        message: authorization.message,
        result: null,
        error: null,
      },
      done: new Promise<ConnectResult>(() => undefined),
    };
    signIn.done = this.poll(account, app, resolved, authorization.deviceCode, signIn, actorId).then(
      (result) => {
        signIn.view = { ...signIn.view, state: 'connected', result };
        return result;
      },
      async (thrown: unknown) => {
        const error = toPluginError(thrown);
        signIn.view = { ...signIn.view, state: 'failed', error: { code: error.code, message: error.message } };
        throw await this.recordFailure(account, error, actorId);
      },
    );
    // The outcome is kept in the view; nobody may be waiting for the promise (the screen only reads the view).
    signIn.done.catch(() => undefined);
    this.signIns.set(accountId, signIn);
    await this.deps.incidents.record(
      'connect_started',
      account,
      null,
      `Device sign-in started for mailbox ${account.mailbox} (code valid until ${new Date(expiresAt).toISOString()}).`,
      actorId,
    );
    return signIn.view;
  }

  /** The account's latest sign-in as the screen shows it, or null. */
  view(accountId: string): DeviceSignInView | null {
    return this.signIns.get(accountId)?.view ?? null;
  }

  /**
   * Waits for the account's running (or finished) sign-in.
   * @throws PluginError ERR_NOT_FOUND when none was started in this process | the sign-in's failure
   */
  wait(accountId: string): Promise<ConnectResult> {
    const signIn = this.signIns.get(accountId);
    if (!signIn)
      return Promise.reject(
        new PluginError('ERR_NOT_FOUND', `No device sign-in was started for mail account ${accountId} here.`, {
          accountId,
        }),
      );
    return signIn.done;
  }

  /** Stops every running sign-in (the plugin is deactivated). */
  cancelAll(): void {
    for (const accountId of [...this.signIns.keys()]) this.cancel(accountId);
  }

  private cancel(accountId: string): void {
    this.signIns.get(accountId)?.abort.abort();
    this.signIns.delete(accountId);
  }

  private async poll(
    account: MailAccount,
    app: AppRegistration,
    resolved: ResolvedEndpoints,
    deviceCode: string,
    signIn: SignIn,
    actorId: string | null,
  ): Promise<ConnectResult> {
    const { signal } = signIn.abort;
    let interval = signIn.view.intervalSeconds;
    for (;;) {
      await this.sleep(interval * 1000, signal);
      if (signal.aborted)
        throw new PluginError(
          'ERR_TIMEOUT',
          'The device sign-in was cancelled (started again, or the helpdesk stopped).',
        );
      if (this.deps.clock.now() >= signIn.view.expiresAt)
        throw new PluginError('ERR_DEVICE_CODE_EXPIRED', undefined, { accountId: account.id });
      let tokens: TokenSet;
      try {
        const config = await authenticatedClientConfig(this.deps, app, resolved);
        const answer = await this.deps.oauthClient.pollDeviceAuthorization(config, { deviceCode });
        if (answer.status === 'pending') continue;
        if (answer.status === 'slow_down') {
          interval += SLOW_DOWN_SECONDS;
          signIn.view = { ...signIn.view, intervalSeconds: interval };
          continue;
        }
        tokens = answer.tokens;
      } catch (thrown) {
        const error = this.classify(app, thrown);
        if (!error.info.retryable) throw error;
        // An outage of the token endpoint is not the user's answer: keep polling until the code expires.
        this.deps.logger.warn('oauth2-mail: device sign-in poll failed; polling on', {
          accountId: account.id,
          code: error.code,
        });
        continue;
      }
      // The account as it is now (its settings may have changed while the user signed in).
      const current = (await this.deps.accounts.find(account.id)) ?? account;
      const checked = await this.deps.identityCheck.verify(current, app.clientId, resolved, tokens, undefined);
      return storeGrant(this.deps, current, tokens, {
        authorizedIdentity: checked.identity?.display ?? null,
        delegate: checked.delegate,
        actorId,
        via: '(device sign-in)',
        expectRefreshToken: true,
      });
    }
  }

  private async recordFailure(account: MailAccount, error: PluginError, actorId: string | null): Promise<PluginError> {
    await this.deps.incidents.record(
      'auth_failed',
      account,
      error.code,
      `Device sign-in failed: ${error.message}`,
      actorId,
    );
    return error;
  }

  private classify(app: AppRegistration, thrown: unknown): PluginError {
    return explainCredentialError(
      app,
      providerFor(app.provider).classify(toPluginError(thrown)),
      this.deps.clock.now(),
    );
  }
}
