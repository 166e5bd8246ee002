/** Reading one header of a raw RFC 5322 message without parsing the whole message. */

/** Headers are read from at most this many leading bytes; a malformed message without a blank line is all "header". */
const HEADER_SCAN_LIMIT = 256 * 1024;

/**
 * Reads one header's first value from the raw message (case-insensitive name, folded lines joined).
 * Tolerates bare LF, a missing header/body separator and 8-bit bytes (read as latin1, so no byte is lost).
 * @param raw - the RFC 5322 message
 * @param name - header name without the colon
 * @returns the trimmed value, or null when the header is absent or empty
 */
export function readHeader(raw: Buffer, name: string): string | null {
  const head = raw.subarray(0, HEADER_SCAN_LIMIT).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = end === -1 ? head : head.slice(0, end);
  const unfolded = block.replace(/\r?\n[ \t]/g, ' ');
  const wanted = name.toLowerCase();
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (line.slice(0, colon).trim().toLowerCase() === wanted) {
      const value = line.slice(colon + 1).trim();
      return value.length > 0 ? value : null;
    }
  }
  return null;
}
