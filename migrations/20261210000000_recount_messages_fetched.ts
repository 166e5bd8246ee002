import type { Knex } from 'knex';

/**
 * `messages_fetched` is counted by the ledger from now on (one per delivery handed to the host, in the same
 * transaction); until now it was added at the end of a poll, so a poll killed half-way never counted what it had
 * ingested. Recount every account from its ledger: the tickets made from it.
 */
export async function up(knex: Knex): Promise<void> {
  const tickets = knex('oauth2_mail_deliveries')
    .countDistinct('ticket_id')
    .where('account_id', knex.ref('oauth2_mail_accounts.id'))
    .whereIn('state', ['ingested', 'post_action_done'])
    .whereNotNull('ticket_id');
  await knex('oauth2_mail_accounts').update({ messages_fetched: tickets });
}

/** Nothing to undo: the old counts were too low. */
export async function down(): Promise<void> {}
