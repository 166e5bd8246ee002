// The configuration files of the private Dovecot.
import type { OAuthServerHandle } from './oauth-server-process';

/** The ports Dovecot listens on, all on 127.0.0.1. */
export interface DovecotPorts {
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
  submission: number;
  submissions: number;
}

/** What differs per instance. */
export interface DovecotParams {
  /** Runtime sockets; short, since a Unix socket path must stay under 108 bytes. */
  baseDir: string;
  stateDir: string;
  instanceName: string;
  logFile: string;
  internalUser: string;
  loginUser: string;
  certFile: string;
  keyFile: string;
  caCertFile: string;
  oauthConfFile: string;
  delegateConfFile: string;
  uid: number;
  gid: number;
  mailRoot: string;
  ports: DovecotPorts;
  relayHost: string;
  relayPort: number;
}

/** The `<protocol>-login` service: `<protocol>` in clear (STARTTLS) and `<protocol>s` over TLS, both on 127.0.0.1. */
function loginServiceConfig(protocol: 'imap' | 'pop3' | 'submission', ports: DovecotPorts): string {
  return `service ${protocol}-login {
  inet_listener ${protocol} {
    address = 127.0.0.1
    port = ${ports[protocol]}
  }
  inet_listener ${protocol}s {
    address = 127.0.0.1
    port = ${ports[`${protocol}s`]}
    ssl = yes
  }
}`;
}

/**
 * dovecot.conf: IMAP, POP3 and submission on 127.0.0.1, TLS with the test CA's server certificate, two oauth2
 * passdbs (the token's mailbox, then the one it is a delegate of), auth cache off so a revocation shows at the
 * next login, no auth penalty so tests that fail logins on purpose are not slowed down, Maildir under mailRoot.
 */
export function dovecotConfig(p: DovecotParams): string {
  return `# Private Dovecot for oauth2-mail tests (test/env/dovecot.ts). Generated.
base_dir = ${p.baseDir}
state_dir = ${p.stateDir}
instance_name = ${p.instanceName}
log_path = ${p.logFile}
info_log_path = ${p.logFile}
default_internal_user = ${p.internalUser}
default_login_user = ${p.loginUser}
protocols = imap pop3 submission
listen = 127.0.0.1
ssl = yes
ssl_cert = <${p.certFile}
ssl_key = <${p.keyFile}
auth_mechanisms = plain login xoauth2 oauthbearer
auth_cache_size = 0
auth_failure_delay = 0
auth_verbose = yes
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${p.oauthConfFile}
}
# A delegate's token opens the one shared mailbox named by its delegate_of claim.
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${p.delegateConfFile}
}
userdb {
  driver = static
  args = uid=${p.uid} gid=${p.gid} home=${p.mailRoot}/%Ld/%Ln allow_all_users=yes
}
mail_location = maildir:~/Maildir
mail_uid = ${p.uid}
mail_gid = ${p.gid}
first_valid_uid = 1
first_valid_gid = 1
mail_max_userip_connections = 200
${loginServiceConfig('imap', p.ports)}
${loginServiceConfig('pop3', p.ports)}
${loginServiceConfig('submission', p.ports)}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
submission_relay_host = ${p.relayHost}
submission_relay_port = ${p.relayPort}
submission_relay_ssl = no
submission_relay_trusted = yes
submission_max_mail_size = 52428800
protocol submission {
  hostname = submission.example.test
}
protocol imap {
  mail_max_userip_connections = 200
}
`;
}

/**
 * An oauth2 passdb's settings: tokens checked by introspection at the test OAuth server, the login compared with
 * the token's `usernameAttribute` claim.
 */
export function oauthPassdbConfig(
  oauth: Pick<OAuthServerHandle, 'introspectionClient' | 'endpoints' | 'discoveryUrl'>,
  p: Pick<DovecotParams, 'caCertFile'>,
  usernameAttribute: 'email' | 'delegate_of',
): string {
  const { clientId, clientSecret } = oauth.introspectionClient;
  const introspection = new URL(oauth.endpoints.introspection);
  introspection.username = clientId;
  introspection.password = clientSecret;
  return `# Tokens are checked by introspection at the test OAuth server: revocation shows at the next login.
# No scope line: Dovecot 2.3 would demand every listed scope; only mail-resource tokens carry an email claim.
introspection_mode = post
introspection_url = ${introspection.href}
active_attribute = active
active_value = true
tls_ca_cert_file = ${p.caCertFile}
username_attribute = ${usernameAttribute}
username_format = %Lu
openid_configuration_url = ${oauth.discoveryUrl}
timeout_msecs = 5000
`;
}
