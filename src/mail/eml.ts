import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeAtomic } from '../storage/files.ts';

export interface EmlMessage {
  id: string;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  date: Date;
}

const CRLF = '\r\n';

function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/**
 * Text a mail client would decode if it went into a header as it is: anything with `=?` may be an
 * RFC 2047 encoded word (a title `=?UTF-8?B?…?=` would show as whatever it decodes to, a
 * right-to-left override included). Such text is sent encoded itself; a client decodes it once, to
 * exactly what was typed.
 */
export function mightDecode(text: string): boolean {
  return text.includes('=?');
}

/**
 * RFC 2047 encoded words (UTF-8, base64), split on code points so no word exceeds 75 characters,
 * joined by `separator` (folded lines in a file; a space where the provider writes the header).
 * Printable ASCII goes as it is, unless a client could read it as an encoded word.
 */
export function encodeHeaderText(text: string, separator = `${CRLF} `): string {
  if (isPrintableAscii(text) && !mightDecode(text)) return text;
  const words: string[] = [];
  let chunk = '';
  for (const char of text) {
    if (Buffer.byteLength(chunk + char, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words
    .map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`)
    .join(separator);
}

/** `Name <addr>` with a non-ASCII name encoded; a bare address as it is. */
function encodeAddress(address: string): string {
  const match = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(address);
  if (!match || !match[1]) return address.trim();
  const name = match[1].replace(/^"(.*)"$/, '$1');
  return `${isPrintableAscii(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : encodeHeaderText(name)} <${match[2]}>`;
}

/** RFC 5322 date: `Mon, 23 Nov 2026 10:00:00 +0000`. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

function base64Lines(text: string): string {
  return (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join(CRLF);
}

/** Header names are tokens and values single lines: nothing user-supplied can add a header. */
function assertSafeHeader(name: string, value: string): void {
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw new Error(`invalid header name "${name}"`);
  if (/[\r\n]/.test(value)) throw new Error(`header "${name}" must be a single line`);
}

/**
 * The message as an RFC 5322 file with a multipart/alternative body: the plain-text part first,
 * then HTML, as mail clients prefer the last part they can show.
 */
export function buildEml(
  message: EmlMessage,
  boundary = `herald-${randomBytes(12).toString('hex')}`,
): string {
  const domain = /@([^>\s]+)/.exec(message.from)?.[1] ?? 'herald.invalid';
  const headers: Array<[string, string]> = [
    ['From', encodeAddress(message.from)],
    ['To', encodeAddress(message.to)],
    ['Subject', encodeHeaderText(message.subject)],
    ['Date', rfc5322Date(message.date)],
    ['Message-ID', `<${message.id}@${domain}>`],
    ['MIME-Version', '1.0'],
    ...Object.entries(message.headers),
    ['Content-Type', `multipart/alternative; boundary="${boundary}"`],
  ];
  for (const [name, value] of headers) assertSafeHeader(name, value.replace(/\r\n /g, ' '));
  const part = (type: string, body: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=utf-8`,
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(body),
    ].join(CRLF);
  return [
    ...headers.map(([name, value]) => `${name}: ${value}`),
    '',
    part('text/plain', message.text),
    part('text/html', message.html),
    `--${boundary}--`,
    '',
  ].join(CRLF);
}

/**
 * Writes `<id>.eml` atomically: a reader never sees half a message, and writing the same message
 * again (a retry after a crash) replaces the file instead of adding a second one.
 */
export async function writeEml(dir: string, message: EmlMessage): Promise<string> {
  if (!/^[A-Za-z0-9_-]+$/.test(message.id)) throw new Error(`unsafe message id "${message.id}"`);
  await writeAtomic(dir, `${message.id}.eml`, buildEml(message));
  return join(dir, `${message.id}.eml`);
}
