import { hasHiddenCharacters, visibleText } from '../../../lib/visible-text';

describe('visible text', () => {
  it.each([
    ['NUL', '\u0000', '\\u0000'],
    ['escape', '\u001B', '\\u001B'],
    ['newline', '\n', '\\u000A'],
    ['C1 control', '\u0085', '\\u0085'],
    ['right-to-left override', '\u202E', '\\u202E'],
    ['left-to-right isolate', '\u2066', '\\u2066'],
    ['right-to-left mark', '\u200F', '\\u200F'],
    ['zero-width space', '\u200B', '\\u200B'],
    ['byte order mark', '\uFEFF', '\\uFEFF'],
    ['line separator', '\u2028', '\\u2028'],
    ['lone high surrogate', '\uD800', '\\uD800'],
    ['lone low surrogate', '\uDC00', '\\uDC00'],
    ['language tag', '\u{E0001}', '\\u{E0001}'],
  ])('finds and shows a %s', (_name, hidden, shown) => {
    expect(hasHiddenCharacters(`a${hidden}b`)).toBe(true);
    expect(visibleText(`a${hidden}b`)).toBe(`a${shown}b`);
  });

  it('leaves ordinary text alone, other scripts and astral characters included', () => {
    for (const text of ['support@example.com', 'Müller Grüße', 'דוא"ל', 'مرحبا', '日本語', 'ok 😀', '']) {
      expect(hasHiddenCharacters(text)).toBe(false);
      expect(visibleText(text)).toBe(text);
    }
  });

  it('shows the spoofed file name for what it is', () => {
    expect(visibleText('Mailbox ulh0kevil\u202Egnp.exe@example.test')).toBe(
      'Mailbox ulh0kevil\\u202Egnp.exe@example.test',
    );
  });
});
