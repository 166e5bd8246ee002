/** Times and counts in words for the admin screen (UTC, so every admin reads the same). */

/**
 * `2026-11-27 19:45 UTC (3 min ago)`, or `never`.
 * @param at - epoch ms, or null
 * @param now - epoch ms
 */
export function formatTime(at: number | null, now: number): string {
  if (!isDate(at)) return 'never';
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC (${relative(at, now)})`;
}

/** A date only: `2026-11-27`. */
export function formatDate(at: number | null): string {
  return isDate(at) ? new Date(at).toISOString().slice(0, 10) : '';
}

/** True when `at` is a time a Date can hold (a stored value out of that range must not break a page). */
function isDate(at: number | null): at is number {
  return at !== null && Number.isFinite(new Date(at).getTime());
}

/**
 * `in 3 days`, `5 min ago`, `just now`.
 * @param at - epoch ms
 * @param now - epoch ms
 */
export function relative(at: number, now: number): string {
  const diff = at - now;
  const abs = Math.abs(diff);
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  if (abs < 5000) return 'just now';
  for (const [size, unit] of units) {
    if (abs >= size) {
      const count = Math.floor(abs / size);
      const text = unit === 'day' ? `${count} day${count === 1 ? '' : 's'}` : `${count} ${unit}`;
      return diff > 0 ? `in ${text}` : `${text} ago`;
    }
  }
  return 'just now';
}

/**
 * A count with its noun, plural unless the count is 1: `1 message`, `3 messages`.
 * @param count - how many
 * @param word - the noun in the singular
 */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** Whole days from `now` until `at` (negative when past). */
export function daysUntil(at: number, now: number): number {
  return Math.floor((at - now) / 86_400_000);
}
