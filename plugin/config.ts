/**
 * The plugin's own configuration (what the host stores for it and hands over as `host.config`).
 * The zod schema is the source of truth: plugin.json `config.schema` is generated from it
 * (`configJsonSchema()`), and a test fails when the two drift apart.
 */
import { z } from 'zod';
import { PluginError } from './errors';

const MEGABYTE = 1024 * 1024;

/** Extra trusted CA certificate(s) as PEM text. */
const CaCertPem = z
  .string()
  .regex(/-----BEGIN CERTIFICATE-----/, 'must be PEM text starting with -----BEGIN CERTIFICATE-----');

/** Limits of the polling cycle. */
const FetchConfig = z
  .object({
    batchSize: z.number().int().min(1).max(1000).default(50).describe('Messages fetched per IMAP FETCH batch.'),
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .default(25 * MEGABYTE)
      .describe('Larger messages are left on the server, recorded as skipped and reported.'),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe('Accounts polled at the same time by one host process.'),
    accountTimeoutSeconds: z
      .number()
      .int()
      .min(5)
      .default(300)
      .describe("One account's poll is stopped after this long; it continues on the next cycle."),
    commandTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe(
        'How long the mail server may stay silent while the plugin waits for an answer (greeting, login, any command); ' +
          'a stalled server then shows as retrying instead of holding the poll until accountTimeoutSeconds.',
      ),
    quarantineAfter: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe('A message the helpdesk rejects this many times is quarantined and the admin told.'),
    caCertPem: CaCertPem.optional().describe(
      'Extra trusted CA certificate(s), PEM, for the mail servers: ' +
        'added to the system store and NODE_EXTRA_CA_CERTS (TLS verification is never switched off).',
    ),
  })
  .strict()
  .prefault({});

/** Token handling. */
const TokenConfig = z
  .object({
    refreshSkewSeconds: z
      .number()
      .int()
      .min(0)
      .default(300)
      .describe('An access token expiring within this many seconds is refreshed first.'),
    keepAliveDays: z
      .number()
      .int()
      .min(1)
      .default(7)
      .describe('Idle grants are refreshed at least this often so the provider does not expire them.'),
    httpTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .default(15)
      .describe("Timeout of one request to the provider's token endpoint."),
    caCertPem: CaCertPem.optional().describe(
      'Extra trusted CA certificate(s), PEM, for the OAuth provider (token, discovery, keys, userinfo and revocation endpoints), e.g. an on-premises identity provider with a private CA: added to the system store and NODE_EXTRA_CA_CERTS (TLS verification is never switched off).',
    ),
  })
  .strict()
  .prefault({});

/** Sending replies over SMTP. */
const SendConfig = z
  .object({
    timeoutSeconds: z
      .number()
      .int()
      .min(5)
      .max(600)
      .default(60)
      .describe('Bound of the connection, the greeting and each command of one SMTP submission.'),
  })
  .strict()
  .prefault({});

/** The zod schema of the plugin configuration; every field has a default, so `{}` is a valid config. */
export const PluginConfigSchema = z
  .object({
    fetch: FetchConfig,
    token: TokenConfig,
    send: SendConfig,
    allowInsecureLoopback: z
      .boolean()
      .default(false)
      .describe('Allow an http issuer and cleartext IMAP / POP3, but only on 127.0.0.1 / localhost (tests and demo).'),
    allowPrivateNetworks: z
      .boolean()
      .default(false)
      .describe(
        'Allow provider URLs and mail servers in private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), ' +
          'for a helpdesk on premises. Link-local and cloud metadata addresses are refused regardless.',
      ),
  })
  .strict();

/** The parsed, defaulted plugin configuration. */
export type PluginConfig = Readonly<{
  fetch: Readonly<z.output<typeof FetchConfig>>;
  token: Readonly<z.output<typeof TokenConfig>>;
  send: Readonly<z.output<typeof SendConfig>>;
  allowInsecureLoopback: boolean;
  allowPrivateNetworks: boolean;
}>;

/**
 * Parses and defaults the raw stored configuration.
 * @param raw - what the host stored (`undefined` and `null` count as `{}`)
 * @returns a deeply frozen config
 * @throws PluginError ERR_INPUT_INVALID naming every invalid field, prefixed "Invalid oauth2-mail config: "
 */
export function parseConfig(raw: unknown): PluginConfig {
  const result = PluginConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`,
    );
    throw new PluginError('ERR_INPUT_INVALID', `Invalid oauth2-mail config: ${problems.join('; ')}`, {
      fields: problems,
    });
  }
  const config = result.data;
  return Object.freeze({
    fetch: Object.freeze({ ...config.fetch }),
    token: Object.freeze({ ...config.token }),
    send: Object.freeze({ ...config.send }),
    allowInsecureLoopback: config.allowInsecureLoopback,
    allowPrivateNetworks: config.allowPrivateNetworks,
  });
}

/** The JSON Schema of the plugin configuration, as written into plugin.json `config.schema`. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PluginConfigSchema, { io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}
