/**
 * Host-wide settings in `host_settings`: the helpdesk's public base URL (stored by `start`, read by every console
 * command that builds a URL) and the monitoring token, stored as its sha256 only and compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';

const PUBLIC_BASE_URL = 'public_base_url';
const MONITORING_TOKEN = 'monitoring_token_sha256';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The `host_settings` table. */
export class HostSettings {
  /**
   * @param knex - the host database
   * @param clock - epoch ms
   */
  constructor(
    private readonly knex: Knex,
    private readonly clock: () => number = Date.now,
  ) {}

  private async get(key: string): Promise<string | null> {
    const row = (await this.knex('host_settings').where({ key }).first()) as { value: string } | undefined;
    return row?.value ?? null;
  }

  private async set(key: string, value: string): Promise<void> {
    await this.knex('host_settings')
      .insert({ key, value, updated_at: this.clock() })
      .onConflict('key')
      .merge(['value', 'updated_at']);
  }

  /** The stored public base URL (without a trailing slash), or null when none was stored yet. */
  async publicBaseUrl(): Promise<string | null> {
    return this.get(PUBLIC_BASE_URL);
  }

  /** Stores the public base URL the running helpdesk answers on. */
  async storePublicBaseUrl(url: string): Promise<void> {
    await this.set(PUBLIC_BASE_URL, url.replace(/\/+$/, ''));
  }

  /**
   * Creates a new monitoring token, replacing any earlier one; only its sha256 is stored.
   * @returns the token, to show once
   */
  async replaceMonitoringToken(): Promise<string> {
    const token = `o2m_mon_${randomBytes(32).toString('base64url')}`;
    await this.set(MONITORING_TOKEN, sha256(token).toString('hex'));
    return token;
  }

  /** True when `presented` is the current monitoring token (constant-time comparison of the hashes). */
  async isMonitoringToken(presented: string): Promise<boolean> {
    const stored = await this.get(MONITORING_TOKEN);
    if (!stored || presented.length === 0) return false;
    const expected = Buffer.from(stored, 'hex');
    const actual = sha256(presented);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
