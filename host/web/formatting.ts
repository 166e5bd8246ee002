/** Small formatting helpers of the host's pages: sizes and times. */
import { html, type SafeHtml } from '../../lib/html';

/**
 * A size in B, KB or MB.
 * @param bytes - the size
 */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A `<time>` element showing an instant in UTC, e.g. `2026-03-01 10:00:00 UTC`.
 * @param at - epoch ms or a Date
 */
export function timeElement(at: number | Date): SafeHtml {
  const iso = new Date(at).toISOString();
  return html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 19)} UTC</time>`;
}
