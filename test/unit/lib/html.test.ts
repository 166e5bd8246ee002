/** lib/html.ts: the escaping template and the attribute and table helpers built on it. */
import {
  booleanAttribute,
  classNames,
  html,
  optionalAttribute,
  tableCells,
  tableHead,
  trustedHtml,
} from '../../../lib/html';

const EVIL = '"><script>alert(1)</script>&';
const ESCAPED = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;';

describe('html helpers', () => {
  it('booleanAttribute renders the attribute only when on, and refuses a name that is not an attribute name', () => {
    expect(html`<option${booleanAttribute('selected', true)}>`.value).toBe('<option selected>');
    expect(html`<option${booleanAttribute('selected', false)}>`.value).toBe('<option>');
    expect(() => booleanAttribute('onclick="x"', true)).toThrow('not an attribute name');
  });

  it('optionalAttribute escapes the value, keeps 0 and leaves out empty values', () => {
    expect(html`<input${optionalAttribute('placeholder', EVIL)}>`.value).toBe(`<input placeholder="${ESCAPED}">`);
    expect(html`<input${optionalAttribute('min', 0)}>`.value).toBe('<input min="0">');
    for (const empty of [null, undefined, false, ''] as const) {
      expect(html`<input${optionalAttribute('placeholder', empty)}>`.value).toBe('<input>');
    }
    expect(() => optionalAttribute('a b', 'x')).toThrow('not an attribute name');
  });

  it('classNames drops what does not apply', () => {
    const invalid = EVIL.length === 0;
    expect(classNames('field', invalid && 'invalid', null, undefined, '', 'wide')).toBe('field wide');
    expect(html`<div class="${classNames('x', EVIL)}">`.value).toBe(`<div class="x ${ESCAPED}">`);
  });

  it('tableHead and tableCells escape text cells and keep safe fragments', () => {
    expect(tableHead(['Name', EVIL]).value).toBe(`<thead><tr><th>Name</th><th>${ESCAPED}</th></tr></thead>`);
    expect(tableCells([EVIL, 3, trustedHtml('<b>ok</b>')]).value).toBe(
      `<td>${ESCAPED}</td><td>3</td><td><b>ok</b></td>`,
    );
  });
});
