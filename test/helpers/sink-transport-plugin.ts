/**
 * A throw-away plugin folder (plugin.json + index.js) whose one mail transport sends with nodemailer to the local SMTP
 * sink: installed into a real host process (or a console command) through the plugin manager, like any plugin. It is
 * steered from the test through files in its folder, since it runs in another process:
 * - `settings.json`: the sink's port and the senders it lists;
 * - `fail`: one error code per line; each send takes the first line and fails with it (a PluginError-shaped error);
 * - `hold`: while it exists, sends wait (so a test can see a row in `sending`, or kill the host mid-attempt).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MailSenderAccount } from '../../plugin/ports/host';

/** The plugin's id and its transport's id. */
export const SINK_PLUGIN_ID = 'sink-transport';
export const SINK_TRANSPORT_ID = 'sink-transport.smtp';

/** A written plugin folder and its controls. */
export interface SinkTransportPlugin {
  readonly dir: string;
  /** The next sends fail with these codes, one per send. */
  failNext(...codes: string[]): void;
  hold(): void;
  release(): void;
  setSenders(senders: readonly MailSenderAccount[]): void;
}

const INDEX_JS = (nodemailerPath: string) => `'use strict';
const fs = require('node:fs');
const path = require('node:path');
const nodemailer = require(${JSON.stringify(nodemailerPath)});

const file = (name) => path.join(__dirname, name);
const settings = () => JSON.parse(fs.readFileSync(file('settings.json'), 'utf8'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let registration;

function takeFailure() {
  if (!fs.existsSync(file('fail'))) return null;
  const [first, ...rest] = fs.readFileSync(file('fail'), 'utf8').split('\\n').filter(Boolean);
  fs.writeFileSync(file('fail'), rest.join('\\n'));
  return first || null;
}

module.exports = {
  async activate(host) {
    registration = host.mail.registerTransport({
      id: ${JSON.stringify(SINK_TRANSPORT_ID)},
      title: 'SMTP sink (tests)',
      async senders() {
        return settings().senders;
      },
      async send(accountId, message) {
        while (fs.existsSync(file('hold'))) await sleep(25);
        const code = takeFailure();
        if (code) throw Object.assign(new Error('sink transport told to fail with ' + code), { code, details: {} });
        const mailer = nodemailer.createTransport({ host: '127.0.0.1', port: settings().port, secure: false, ignoreTLS: true });
        const info = await mailer.sendMail({
          from: message.from,
          to: message.to,
          cc: message.cc,
          bcc: message.bcc,
          subject: message.subject,
          text: message.text,
          inReplyTo: message.inReplyTo,
          references: message.references,
          messageId: message.messageId,
        });
        return { messageId: info.messageId, response: info.response, accepted: info.accepted.map(String), rejected: info.rejected.map(String) };
      },
    });
  },
  async deactivate() {
    if (registration) await registration.dispose();
  },
};
`;

/**
 * Writes the plugin folder.
 * @param dir - the folder (created)
 * @param port - the SMTP sink's port
 * @param senders - the accounts its transport lists
 */
export function writeSinkTransportPlugin(
  dir: string,
  port: number,
  senders: readonly MailSenderAccount[],
): SinkTransportPlugin {
  mkdirSync(dir, { recursive: true });
  const manifest = {
    manifestVersion: 1,
    id: SINK_PLUGIN_ID,
    name: 'SMTP sink transport (tests)',
    version: '1.0.0',
    engines: { host: '^1.1.0' },
    main: 'index.js',
    permissions: ['mail:send'],
    contributes: { mailTransports: [{ id: SINK_TRANSPORT_ID, title: 'SMTP sink (tests)' }] },
  };
  writeFileSync(join(dir, 'plugin.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, 'index.js'), INDEX_JS(require.resolve('nodemailer')));
  const settings = (list: readonly MailSenderAccount[]) =>
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ port, senders: list }));
  settings(senders);
  return {
    dir,
    failNext(...codes) {
      const before = existsSync(join(dir, 'fail')) ? readFileSync(join(dir, 'fail'), 'utf8') : '';
      writeFileSync(join(dir, 'fail'), [before, ...codes].filter(Boolean).join('\n'));
    },
    hold: () => writeFileSync(join(dir, 'hold'), ''),
    release: () => rmSync(join(dir, 'hold'), { force: true }),
    setSenders: settings,
  };
}
