import { describe, expect, it } from 'vitest';
import { messageToHtml, messageToPlainText, parseMessage } from '../../src/publish/message.ts';
import { cleanText, escapeHtml } from '../../src/publish/text.ts';

describe('update messages', () => {
  it('split into paragraphs on blank lines and keep single line breaks', () => {
    expect(parseMessage('First line\nsecond line\n\n\nNext paragraph')).toEqual([
      [
        { kind: 'text', text: 'First line' },
        { kind: 'break' },
        { kind: 'text', text: 'second line' },
      ],
      [{ kind: 'text', text: 'Next paragraph' }],
    ]);
  });

  it('turn Markdown links and bare web addresses into links', () => {
    expect(
      parseMessage('See [the docs](https://acme.example/docs) or https://acme.example/x.'),
    ).toEqual([
      [
        { kind: 'text', text: 'See ' },
        { kind: 'link', text: 'the docs', href: 'https://acme.example/docs' },
        { kind: 'text', text: ' or ' },
        { kind: 'link', text: 'https://acme.example/x', href: 'https://acme.example/x' },
        { kind: 'text', text: '.' },
      ],
    ]);
  });

  it('never make a link of a javascript: address', () => {
    const html = messageToHtml('[click](javascript:alert(1))');
    expect(html).not.toContain('<a');
    expect(html).toBe('<p>[click](javascript:alert(1))</p>');
  });

  it('escape markup in text and in link labels', () => {
    const html = messageToHtml('<script>x</script> [<b>"hi"</b>](https://a.example/?q="><img)');
    expect(html).not.toMatch(/<script|<b>|<img/);
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
  });

  it('never let a quote into a link address, so no attribute can be injected', () => {
    const payload = '[here](https://a.example/?a=1&b="autofocus="true"onfocus="alert`1`"x=")';
    const links = parseMessage(payload)
      .flat()
      .filter((s) => s.kind === 'link');
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link.href).not.toMatch(/["'<>`\s]/);
  });

  it('normalise link addresses as a browser would', () => {
    expect(parseMessage('[x](https://A.example/p?q=a|b)').flat()).toEqual([
      { kind: 'link', text: 'x', href: 'https://a.example/p?q=a|b' },
    ]);
    expect(parseMessage('see https://acme.example').flat()).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://acme.example', href: 'https://acme.example/' },
    ]);
  });

  it('drop characters XML cannot carry', () => {
    expect(cleanText('a\u0000b\u0007c\u001bd\tok\n')).toBe('abcd\tok\n');
    expect(escapeHtml('x\u0001<y>')).toBe('x&lt;y&gt;');
    expect(messageToPlainText('One\n\nTwo [three](https://x.example)')).toBe(
      'One Two three (https://x.example/)',
    );
    expect(messageToPlainText('See https://x.example/a.')).toBe('See https://x.example/a.');
  });
});
