import type { Knex } from 'knex';

/**
 * When each scheduled task of the plugin last ran (the health answer's "the scheduler ran within its interval"),
 * kept in the database so a console command or another process sees the running helpdesk's scheduler.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oauth2_mail_heartbeats', (table) => {
    table.comment('Last run of each scheduled task of the plugin, any process');
    table.string('task_id', 128).primary().comment('Scheduled task id, e.g. oauth2-mail.fetch');
    table.bigInteger('ran_at').notNullable().comment('Epoch ms of the last run start');
    table.integer('interval_ms').notNullable().comment('How often the host runs the task');
    table.string('owner', 191).notNullable().comment('Process that ran it (host name and pid)');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('oauth2_mail_heartbeats');
}
