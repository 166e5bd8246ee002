/**
 * Characters that change how the text around them reads without showing themselves: controls (Unicode Cc: NUL,
 * escape, newline …), format characters (Cf: zero-width spaces and joiners, the byte order mark, and every
 * bidirectional embedding, override, isolate and mark, such as U+202E RIGHT-TO-LEFT OVERRIDE, which makes
 * "evil\u202Egnp.exe" read "evilexe.png"), the line and paragraph separators, and lone surrogates (half of a
 * character, which renders as anything or nothing). Mail addresses refuse them; any other outside text the plugin
 * shows an admin carries them as visible escapes.
 */

/** One hidden character; with the `u` flag a lone surrogate is a code point of its own (category Cs). */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, 'gu');

/** True when `text` holds a control, format or bidirectional character, a line or paragraph separator, or a lone surrogate. */
export function hasHiddenCharacters(text: string): boolean {
  return HIDDEN.test(text);
}

/**
 * `text` with every hidden character written out as its code point, `\u202E` (`\u{E0001}` above U+FFFF), so an
 * admin sees that it is there and nothing is reordered or hidden. Text without them comes back unchanged.
 * @example visibleText('evil\u202Egnp.exe') // 'evil\\u202Egnp.exe'
 */
export function visibleText(text: string): string {
  return text.replace(HIDDEN_ALL, (character) => {
    const code = character.codePointAt(0)!;
    const hex = code.toString(16).toUpperCase();
    return code > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
  });
}
