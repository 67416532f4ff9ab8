import { describe, expect, it } from 'vitest';
import { buildEml, encodeHeaderText, rfc5322Date } from '../../src/mail/eml.ts';
import { parseEml } from './parse-eml.ts';

const message = {
  id: 'abc123',
  from: 'Herald <status@acme.example>',
  to: 'ada@acme.example',
  subject: 'Update due',
  html: '<p>Due</p>',
  text: 'Due',
  headers: {},
  date: new Date('2026-11-23T10:00:00.000Z'),
};

describe('the .eml format', () => {
  it('is RFC 5322 with CRLF lines, a Message-ID and a multipart/alternative body', () => {
    const eml = buildEml(message, 'b0undary');
    expect(
      eml.startsWith(
        'From: "Herald" <status@acme.example>\r\nTo: ada@acme.example\r\nSubject: Update due\r\n',
      ),
    ).toBe(true);
    expect(eml).toContain('Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n');
    expect(eml).toContain('Message-ID: <abc123@acme.example>\r\n');
    expect(eml).toContain('Content-Type: multipart/alternative; boundary="b0undary"\r\n');
    const parsed = parseEml(eml);
    expect(parsed.parts).toEqual([
      { type: 'text/plain', body: 'Due' },
      { type: 'text/html', body: '<p>Due</p>' },
    ]);
  });

  it('encodes non-ASCII subjects as RFC 2047 words no longer than 75 characters', () => {
    const subject = 'Zahlungsausfälle bei Überweisungen – Störung behoben? 🚧 '.repeat(3);
    const encoded = encodeHeaderText(subject);
    for (const word of encoded.split('\r\n ')) expect(word.length).toBeLessThanOrEqual(75);
    expect(parseEml(buildEml({ ...message, subject })).headers.subject).toBe(subject);
    expect(encodeHeaderText('plain ASCII')).toBe('plain ASCII');
  });

  it('never lets a subject be read as an encoded word (issue 10, item 7)', () => {
    const smuggled = `=?UTF-8?B?${Buffer.from('\u202Egnp.exe', 'utf8').toString('base64')}?=`;
    for (const subject of [smuggled, `Incident: ${smuggled} resolved`, 'a =?x?Q?y?= b']) {
      const eml = buildEml({ ...message, subject });
      // What a mail client shows is the text the responder typed, not what it decodes to.
      expect(parseEml(eml).headers.subject, subject).toBe(subject);
      expect(eml, subject).not.toContain(smuggled);
    }
  });

  it('refuses headers that would inject more headers', () => {
    expect(() =>
      buildEml({ ...message, headers: { 'X-Note': 'a\r\nBcc: evil@example.com' } }),
    ).toThrow(/single line/);
    expect(() => buildEml({ ...message, headers: { 'Bad Name': 'x' } })).toThrow(
      /invalid header name/,
    );
  });

  it('writes dates the RFC 5322 way', () => {
    expect(rfc5322Date(new Date('2026-01-02T03:04:05Z'))).toBe('Fri, 02 Jan 2026 03:04:05 +0000');
  });
});
