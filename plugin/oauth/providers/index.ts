/** The provider kinds by name. */
import type { ProviderKind } from '../../ports/app-repository';
import { genericProvider } from './generic';
import { googleProvider } from './google';
import { microsoftProvider } from './microsoft';
import type { OAuthProvider } from './provider';

const PROVIDERS: Readonly<Record<ProviderKind, OAuthProvider>> = {
  microsoft: microsoftProvider,
  google: googleProvider,
  generic: genericProvider,
};

/** The behaviour of a provider kind. */
export function providerFor(kind: ProviderKind): OAuthProvider {
  return PROVIDERS[kind];
}

export type { MailServer, MailService, OAuthProvider } from './provider';
