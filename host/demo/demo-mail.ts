/** The messages waiting in the demo mailbox: what a support inbox typically receives. */

/** One demo message: raw RFC 5322 text and its arrival time. */
export interface DemoMessage {
  readonly raw: Buffer;
  readonly receivedAt: Date;
}

function message(
  index: number,
  minutesAgo: number,
  from: string,
  subject: string,
  body: string,
  extraHeaders = '',
): DemoMessage {
  const receivedAt = new Date(Date.now() - minutesAgo * 60_000);
  const raw = [
    `From: ${from}`,
    'To: Alice Support <alice@example.test>',
    `Subject: ${subject}`,
    `Date: ${receivedAt.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <demo-${index}-${receivedAt.getTime()}@customers.example>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    ...(extraHeaders ? [extraHeaders] : []),
    '',
    body,
    '',
  ].join('\r\n');
  return { raw: Buffer.from(raw, 'utf8'), receivedAt };
}

/** Messages already in the mailbox when the demo starts. */
export function initialDemoMessages(): DemoMessage[] {
  return [
    message(
      1,
      180,
      'Jonas Berg <jonas.berg@customers.example>',
      'Cannot log in since this morning',
      [
        'Hello,',
        '',
        'since this morning I get "invalid password" although I reset it twice.',
        'Could you have a look? My user name is jberg.',
        '',
        'Thanks,',
        'Jonas',
      ].join('\n'),
    ),
    message(
      2,
      95,
      'Priya Nair <priya@northwind.example>',
      'Invoice 2026-1187: wrong VAT rate',
      [
        'Hi team,',
        '',
        'the invoice 2026-1187 shows 19 % VAT, but we are exempt (reverse charge, see our VAT ID DE123456789).',
        'Please send a corrected invoice.',
        '',
        'Best regards',
        'Priya Nair',
        'Northwind Traders',
      ].join('\n'),
    ),
    message(
      3,
      40,
      '"Zoë Müller" <zoe.mueller@kunden.example>',
      'Lieferung unvollständig – Bestellung #55821',
      [
        'Guten Tag,',
        '',
        'in meiner Lieferung fehlt der Netzadapter (Artikel 4471).',
        'Können Sie ihn nachsenden?',
        '',
        'Viele Grüße',
        'Zoë Müller',
      ].join('\n'),
    ),
    message(
      4,
      12,
      'Monitoring <alerts@status.example>',
      '[WARN] Disk usage 91% on mail-gw-2',
      'mail-gw-2: /var is 91% full (threshold 90%).\nThis alert repeats every hour until resolved.',
      'Auto-Submitted: auto-generated',
    ),
  ];
}

/** A message that arrives while the demo runs (seeded a little later, so fetching new mail can be seen). */
export function laterDemoMessage(): DemoMessage {
  return message(
    5,
    0,
    'Sam Lee <sam.lee@customers.example>',
    'Feature request: export tickets as CSV',
    [
      'Hi!',
      '',
      'It would help us a lot to export the ticket list as CSV for our monthly report.',
      'Is that on your roadmap?',
      '',
      'Cheers,',
      'Sam',
    ].join('\n'),
  );
}
